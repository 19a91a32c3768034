package dev.akvq.model.qwen2vl;

import dev.akvq.model.Trace;
import dev.akvq.model.WeightReader;
import dev.akvq.tensor.GeluErf;
import dev.akvq.tensor.LayerNorm;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.Qwen2VLVisionConfig;

/**
 * Qwen2-VL's PatchMerger (modeling_qwen2_vl.py at transformers 241c04d3): each patch through
 * {@code ln_q} (LayerNorm, eps 1e-6), every {@code spatial_merge_size²} consecutive rows
 * concatenated (the image processor put each 2x2 neighbourhood together), then
 * {@code Linear(4e, 4e) - GELU (erf) - Linear(4e, hidden)}:
 * {@code [patches, embed] -> [patches / merge², hidden]}.
 */
public final class Qwen2VLMerger {
    static final float LAYER_NORM_EPS = 1e-6f;

    /** {@code visual.merger.*}: ln_q, mlp.0 ({@code [4e, 4e]}), mlp.2 ({@code [hidden, 4e]}). */
    public record Weights(float[] lnWeight, float[] lnBias, MatrixView fc1, float[] fc1Bias, MatrixView fc2, float[] fc2Bias) {}

    private final Qwen2VLVisionConfig config;
    private final Weights weights;
    private final WorkerPool pool;

    public Qwen2VLMerger(Qwen2VLVisionConfig config, Weights weights, WorkerPool pool) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
    }

    public static Qwen2VLMerger load(WeightReader r, Qwen2VLVisionConfig c, WorkerPool pool) {
        return new Qwen2VLMerger(c, new Weights(r.vector("visual.merger.ln_q.weight"), r.vector("visual.merger.ln_q.bias"),
                r.matrix("visual.merger.mlp.0.weight"), r.vector("visual.merger.mlp.0.bias"),
                r.matrix("visual.merger.mlp.2.weight"), r.vector("visual.merger.mlp.2.bias")), pool);
    }

    /** {@code features [patches, embed]} (the tower's output) to {@code [patches / merge², hidden]} ({@code projector_output}). */
    public float[] forward(float[] features, Trace trace) {
        int e = config.embedDim(), group = config.spatialMergeSize() * config.spatialMergeSize();
        int in = config.mergerInputDim(), out = config.hiddenSize();
        if (features.length % (e * group) != 0) {
            throw new IllegalArgumentException("patch merger: " + features.length / e + " patches are not a whole number of "
                    + group + "-patch groups (spatial_merge_size " + config.spatialMergeSize() + ")");
        }
        int patches = features.length / e, tokens = patches / group;
        // ln_q row by row; [patches, e] viewed as [tokens, group · e] is the concatenation of each group's rows.
        float[] normed = new float[patches * e];
        pool.forRange(patches, (start, end) -> {
            for (int p = start; p < end; p++) LayerNorm.apply(normed, p * e, features, p * e, weights.lnWeight(), weights.lnBias(), LAYER_NORM_EPS);
        });
        float[] hidden = new float[tokens * in];
        MatrixMatrix.multiplyTransposedAddBias(normed, tokens, weights.fc1(), weights.fc1Bias(), hidden, pool);
        pool.forRange(hidden.length, (start, end) -> GeluErf.apply(hidden, start, end - start));
        float[] result = new float[tokens * out];
        MatrixMatrix.multiplyTransposedAddBias(hidden, tokens, weights.fc2(), weights.fc2Bias(), result, pool);
        if (trace.enabled()) trace.put("projector_output", result.clone(), tokens, out);
        return result;
    }
}
