package dev.akvq.cli;

import dev.akvq.model.idefics3.Idefics3Model;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.Idefics3Config;
import java.util.List;

/**
 * {@code akvq trace} for an Idefics3 (SmolVLM) checkpoint: input_ids {@code [1, seq]},
 * pixel_values {@code [1, N, C, S, S]} and (optional) pixel_attention_mask {@code [1, N, S, S]}
 * through {@link Idefics3Model}. Writes the vision names (vision_hidden_states.{i},
 * vision_features, pixel_shuffle_output, projector_output) and the decoder's, as the goldens.
 */
final class Idefics3Trace {
    private Idefics3Trace() {}

    /** @return the sequence's KV cache after decoding (for --kv-stats) */
    static List<KeyValueStore> run(Checkpoint checkpoint, Idefics3Config config, SafetensorsFile in, KvCacheSettings settings,
                                   int decodeSteps, WorkerPool pool, TraceFile trace) {
        Idefics3Model model = Idefics3Model.load(checkpoint, config, pool);
        int[] ids = PromptInputs.singlePrompt(in, "", "idefics3");
        WeightTensor pixels = in.require("pixel_values");
        long[] mask = in.find("pixel_attention_mask").map(WeightTensor::toLongArray).orElse(null);
        float[] image = model.imageEmbeddings(pixels.toFloatArray(), pixels.shape(), mask, trace);
        Idefics3Model.PromptEmbeddings prompt = model.merge(ids, image);

        int n = ids.length, vocab = config.textConfig().vocabSize();
        LlamaSequence sequence = new LlamaSequence(model.decoder(), settings);
        float[] normed = sequence.prefill(prompt.embeds(), prompt.modality(), trace);
        float[] logits = model.decoder().allLogits(normed, n);
        long[] positions = new long[n];
        for (int t = 0; t < n; t++) positions[t] = t;
        trace.writer.i64("position_ids", positions, 1, n);
        trace.put("logits", logits, 1, n, vocab);
        GreedyTrace.record(logits, n, vocab, sequence, decodeSteps, trace);
        return sequence.cache();
    }
}
