package dev.akvq.cli;

import dev.akvq.model.qwen2vl.ImageGrid;
import dev.akvq.model.qwen2vl.MropePositions;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.model.qwen2vl.Qwen2VLSequence;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.Qwen2VLConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code akvq trace} on a qwen2_vl checkpoint: one prompt with its {@code pixel_values} and
 * {@code image_grid_thw} (both absent for text only) through {@link Qwen2VLModel}; writes the
 * vision and decoder intermediates, {@code mrope_position_ids} {@code [3, 1, seq]},
 * {@code rope_deltas} {@code [1, 1]}, logits and the greedy decode.
 */
final class Qwen2VLTrace {
    private Qwen2VLTrace() {}

    /** @return the sequence's KV cache after decoding (for --kv-stats) */
    static List<KeyValueStore> run(Checkpoint checkpoint, Qwen2VLConfig config, SafetensorsFile in, KvCacheSettings settings,
                                   int decodeSteps, WorkerPool pool, TraceFile trace) {
        int[] prompt = PromptInputs.singlePrompt(in, "", "qwen2_vl");
        Optional<WeightTensor> pixels = in.find("pixel_values"), thw = in.find("image_grid_thw");
        if (pixels.isPresent() != thw.isPresent()) {
            throw new IllegalArgumentException("inputs: pixel_values and image_grid_thw come together; found only "
                    + (pixels.isPresent() ? "pixel_values" : "image_grid_thw"));
        }
        List<ImageGrid> grids = List.of();
        float[] pixelValues = new float[0];
        if (thw.isPresent()) {
            WeightTensor g = thw.get(), p = pixels.get();
            if (g.rank() != 2 || g.dim(1) != 3) throw g.error("expected image_grid_thw [images, 3], found " + Arrays.toString(g.shape()));
            grids = ImageGrid.fromThw(g.toLongArray());
            if (p.rank() != 2) throw p.error("expected pixel_values [patches, values], found " + Arrays.toString(p.shape()));
            // Before any weight is read: the merger joins spatial_merge_size² patches of every grid.
            ImageGrid.checkAgainst(grids, Math.toIntExact(p.dim(0)), config.visionConfig().spatialMergeSize());
            pixelValues = p.toFloatArray();
        }
        int seq = prompt.length, vocab = config.textConfig().vocabSize();

        Qwen2VLModel model = Qwen2VLModel.load(checkpoint, config, pool);
        Qwen2VLModel.Prompt prepared = model.prepare(prompt, pixelValues, grids, trace);
        MropePositions positions = prepared.positions();
        long[] positionIds = new long[3 * seq];
        for (int t = 0; t < seq; t++) {
            positionIds[t] = positions.temporal()[t];
            positionIds[seq + t] = positions.height()[t];
            positionIds[2 * seq + t] = positions.width()[t];
        }
        trace.writer.i64("mrope_position_ids", positionIds, 3, 1, seq);
        trace.writer.i64("rope_deltas", new long[] {positions.ropeDelta()}, 1, 1);

        Qwen2VLSequence sequence = model.newSequence(settings);
        float[] normed = sequence.prefill(prepared.embeds(), positions, prepared.modality(), trace);
        float[] logits = model.decoder().allLogits(normed, seq);
        trace.put("logits", logits, 1, seq, vocab);
        GreedyTrace.record(logits, seq, vocab, sequence, decodeSteps, trace);
        return sequence.cache();
    }
}
