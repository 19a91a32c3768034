package dev.akvq.cli;

import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ClipVisionConfig;
import java.util.Arrays;
import java.util.List;

/**
 * {@code akvq trace} for LLaVA checkpoints: {@code <prefix>input_ids [1, seq]} and
 * {@code <prefix>pixel_values [images, channels, H, W]} in, every intermediate out under the
 * goldens' names (without the prefix): pixel_values, vision_hidden_states.{i}, vision_features,
 * projector_output, then the decoder's names, logits, position_ids and the greedy decode.
 */
final class LlavaTrace {
    private LlavaTrace() {}

    /** @return the sequence's KV cache after decoding (for --kv-stats) */
    static List<KeyValueStore> run(LlavaModel model, SafetensorsFile in, String prefix, KvCacheSettings settings, int decodeSteps,
                                   TraceFile trace) {
        int[] ids = PromptInputs.singlePrompt(in, prefix, "llava");
        ClipVisionConfig v = model.config().visionConfig();
        float[] pixels = new float[0];
        int images = 0;
        var pixelTensor = in.find(prefix + "pixel_values");
        if (pixelTensor.isPresent()) {
            WeightTensor p = pixelTensor.get();
            if (p.rank() != 4 || p.dim(1) != v.numChannels() || p.dim(2) != v.imageSize() || p.dim(3) != v.imageSize()) {
                throw p.error("expected " + prefix + "pixel_values of shape [images, " + v.numChannels() + ", " + v.imageSize() + ", "
                        + v.imageSize() + "] (vision_config), found " + Arrays.toString(p.shape()));
            }
            images = Math.toIntExact(p.dim(0));
        }
        model.checkImageTokens(ids, images);       // before reading any pixels
        if (pixelTensor.isPresent()) pixels = pixelTensor.get().toFloatArray();

        LlavaModel.Prefilled prefilled = model.prefill(ids, pixels, images, settings, trace);
        int n = ids.length, vocab = model.config().textConfig().vocabSize();
        float[] logits = model.decoder().allLogits(prefilled.normed(), n);
        trace.put("logits", logits, 1, n, vocab);
        long[] positions = new long[n];
        for (int t = 0; t < n; t++) positions[t] = t;
        trace.writer.i64("position_ids", positions, 1, n);

        GreedyTrace.record(logits, n, vocab, prefilled.sequence(), decodeSteps, trace);
        return prefilled.sequence().cache();
    }
}
