package dev.akvq.model.qwen2vl;

import dev.akvq.model.StopRequest;
import dev.akvq.model.Trace;
import dev.akvq.model.WeightReader;
import dev.akvq.tensor.Activation;
import dev.akvq.tensor.Add;
import dev.akvq.tensor.BidirectionalAttention;
import dev.akvq.tensor.LayerNorm;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.RotaryEmbedding;
import dev.akvq.tensor.RotaryTables;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.Qwen2VLVisionConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2-VL's vision transformer (Qwen2VisionTransformerPretrainedModel in transformers 4.47.1,
 * modeling_qwen2_vl.py at 241c04d3, eager attention), up to the patch merger:
 *
 * <pre>
 * x = pixel_values Wpatchᵀ                          (Conv3d with stride = kernel over flattened patches)
 * angles = (row · inv_freq, col · inv_freq)        (2-D RoPE, VisionRotaryEmbedding(head_dim / 2))
 * for each block:
 *   h = LayerNorm1(x);  q, k, v = split(h Wqkvᵀ + b)
 *   q, k = rotate_half RoPE with cos/sin of cat(angles, angles)
 *   a = softmax(q kᵀ / √d) v  within each frame (cu_seqlens: t·h·w patches split into t frames)
 *   x = x + a Wprojᵀ + b
 *   x = x + fc2(act(fc1(LayerNorm2(x))))           (act = quick_gelu)
 * </pre>
 *
 * Rows stay in pixel_values order: the image processor already groups each
 * {@code spatial_merge_size²} neighbours consecutively, so the merger only reshapes.
 */
public final class Qwen2VLVisionTower {
    /** Qwen2VLVisionBlock's LayerNorms: nn.LayerNorm(embed_dim, eps=1e-6). */
    static final float LAYER_NORM_EPS = 1e-6f;
    /** VisionRotaryEmbedding's default theta. */
    static final double ROPE_THETA = 10000.0;

    /** One Qwen2VLVisionBlock; {@code qkv} rows are q, then k, then v, each {@code [heads, headDim]}. */
    public record Block(float[] norm1Weight, float[] norm1Bias, MatrixView qkv, float[] qkvBias, MatrixView proj,
                        float[] projBias, float[] norm2Weight, float[] norm2Bias, MatrixView fc1, float[] fc1Bias,
                        MatrixView fc2, float[] fc2Bias) {}

    /** @param patchEmbed the Conv3d weight {@code [embed, C, T, P, P]} read as {@code [embed, C·T·P·P]} */
    public record Weights(MatrixView patchEmbed, List<Block> blocks) {}

    private final Qwen2VLVisionConfig config;
    private final Weights weights;
    private final WorkerPool pool;
    private final float[] inverseFrequencies;
    private final Activation activation;

    public Qwen2VLVisionTower(Qwen2VLVisionConfig config, Weights weights, WorkerPool pool) {
        this.activation = Activation.named("config.json: vision_config.hidden_act", config.hiddenAct());   // at load, not mid-forward
        if (weights.blocks().size() != config.depth()) {
            throw new IllegalArgumentException("vision tower has " + weights.blocks().size() + " blocks, vision_config.depth "
                    + config.depth());
        }
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.inverseFrequencies = RotaryTables.defaultInverseFrequencies(config.headDim() / 2, ROPE_THETA);
    }

    /** Reads {@code visual.patch_embed} and {@code visual.blocks.*}, shapes as {@code ArchitectureLayout} declares. */
    public static Qwen2VLVisionTower load(WeightReader r, Qwen2VLVisionConfig c, WorkerPool pool) {
        // The Conv3d weight [embed, C, T, P, P] is, row-major, the matrix [embed, C·T·P·P].
        WeightTensor conv = r.tensor("visual.patch_embed.proj.weight");
        MatrixView patchEmbed = new MatrixView(conv.dtype(), c.embedDim(), patchWidth(c), conv.data());
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) {
            String b = "visual.blocks." + i + ".";
            blocks.add(new Block(r.vector(b + "norm1.weight"), r.vector(b + "norm1.bias"),
                    r.matrix(b + "attn.qkv.weight"), r.vector(b + "attn.qkv.bias"),
                    r.matrix(b + "attn.proj.weight"), r.vector(b + "attn.proj.bias"),
                    r.vector(b + "norm2.weight"), r.vector(b + "norm2.bias"),
                    r.matrix(b + "mlp.fc1.weight"), r.vector(b + "mlp.fc1.bias"),
                    r.matrix(b + "mlp.fc2.weight"), r.vector(b + "mlp.fc2.bias")));
        }
        return new Qwen2VLVisionTower(c, new Weights(patchEmbed, List.copyOf(blocks)), pool);
    }

    /** Values in one pixel_values row: {@code in_channels · temporal_patch_size · patch_size²}. */
    public static int patchWidth(Qwen2VLVisionConfig c) {
        return c.inChannels() * c.temporalPatchSize() * c.patchSize() * c.patchSize();
    }

    public Qwen2VLVisionConfig config() {
        return config;
    }

    /**
     * Runs {@code pixelValues [patches, C·T·P·P]} (rows as Qwen2VLImageProcessor orders them) of
     * the images {@code grids} through every block; returns the last block's output
     * {@code [patches, embed]}, the merger's input ({@code vision_features}).
     */
    public float[] forward(float[] pixelValues, List<ImageGrid> grids, Trace trace) {
        int e = config.embedDim(), heads = config.numHeads(), headDim = config.headDim(), mlp = config.mlpHiddenDim();
        int n = checkInputs(pixelValues, grids);
        float[] x = new float[n * e];                  // residual stream
        float[] h = new float[n * e];                  // normed stream
        float[] qkv = new float[n * 3 * e];            // per patch: q [heads, d], k [heads, d], v [heads, d]
        float[] attention = new float[n * e];          // per-head outputs, concatenated
        float[] projected = new float[n * e];
        float[] hidden = new float[n * mlp];

        // Patch embedding: a Conv3d whose stride equals its kernel is one dot product per flattened patch.
        MatrixMatrix.multiplyTransposed(pixelValues, n, weights.patchEmbed(), x, pool);
        if (trace.enabled()) trace.put("vision_patch_embed", x.clone(), n, e);

        // 2-D rotary angles per patch and their cos/sin over the whole head (cat(angles, angles)).
        float[] angles = rotaryAngles(grids);
        if (trace.enabled()) trace.put("vision_rotary_freqs", angles.clone(), n, headDim / 2);
        float[] cos = new float[n * headDim], sin = new float[n * headDim];
        for (int t = 0; t < n; t++) RotaryTables.expand(angles, t * headDim / 2, headDim / 2, cos, sin, t * headDim);
        int[] frameStarts = frameStarts(grids);

        for (int b = 0; b < config.depth(); b++) {
            StopRequest.checkBefore("vision tower", b, config.depth());
            Block w = weights.blocks().get(b);

            // Attention block: LayerNorm, fused qkv, RoPE on q and k, full attention per frame.
            LayerNorm.rows(h, x, n, w.norm1Weight(), w.norm1Bias(), LAYER_NORM_EPS, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.qkv(), w.qkvBias(), qkv, pool);
            pool.forRange(n, (start, end) -> {
                for (int t = start; t < end; t++) {
                    RotaryEmbedding.rotateHalf(qkv, t * 3 * e, heads, headDim, cos, sin, t * headDim);
                    RotaryEmbedding.rotateHalf(qkv, t * 3 * e + e, heads, headDim, cos, sin, t * headDim);
                }
            });
            // VisionAttention (eager): softmax(q kᵀ / √d) v over the patches of each frame.
            BidirectionalAttention.apply(qkv, qkv, qkv, attention, BidirectionalAttention.Layout.fusedQkv(heads, headDim),
                    frameStarts, null, BidirectionalAttention.Scaling.scoreDividedBy((float) Math.sqrt(headDim)), pool);
            MatrixMatrix.multiplyTransposedAddBias(attention, n, w.proj(), w.projBias(), projected, pool);
            Add.add(x, projected);

            // MLP block: x += fc2(act(fc1(LayerNorm2(x)))).
            LayerNorm.rows(h, x, n, w.norm2Weight(), w.norm2Bias(), LAYER_NORM_EPS, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.fc1(), w.fc1Bias(), hidden, pool);
            activation.applyRows(hidden, n, mlp, pool);
            MatrixMatrix.multiplyTransposedAddBias(hidden, n, w.fc2(), w.fc2Bias(), projected, pool);
            Add.add(x, projected);
            if (trace.enabled()) trace.put("vision_block_out." + b, x.clone(), n, e);
        }
        if (trace.enabled()) trace.put("vision_features", x.clone(), n, e);
        return x;
    }

    /**
     * Checks that pixel_values is whole rows of {@link #patchWidth} values and that the grids
     * account for exactly those rows, each divisible by spatial_merge_size; returns the rows.
     */
    public int checkInputs(float[] pixelValues, List<ImageGrid> grids) {
        int width = patchWidth(config);
        if (pixelValues.length % width != 0) {
            throw new IllegalArgumentException("pixel_values has " + pixelValues.length + " values, not a whole number of rows of "
                    + width + " (in_channels x temporal_patch_size x patch_size^2)");
        }
        return ImageGrid.checkAgainst(grids, pixelValues.length / width, config.spatialMergeSize());
    }

    /**
     * rot_pos_emb: each patch's (row, column) in its image, in pixel_values order (merge groups of
     * {@code m x m} neighbours: reshape(h/m, m, w/m, m).permute(0, 2, 1, 3)), repeated for every
     * frame, then {@code [row · inv_freq, col · inv_freq]} (float32 products, as torch.outer):
     * {@code [patches, headDim / 2]}.
     */
    public float[] rotaryAngles(List<ImageGrid> grids) {
        int m = config.spatialMergeSize(), k = inverseFrequencies.length, width = 2 * k;
        int total = 0;
        for (ImageGrid g : grids) total += g.patches();
        float[] out = new float[total * width];
        int p = 0;
        for (ImageGrid g : grids) {
            for (int frame = 0; frame < g.t(); frame++) {
                for (int blockRow = 0; blockRow < g.h() / m; blockRow++) {
                    for (int blockCol = 0; blockCol < g.w() / m; blockCol++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < m; j++, p++) {
                                float row = blockRow * m + i, col = blockCol * m + j;
                                for (int f = 0; f < k; f++) {
                                    out[p * width + f] = row * inverseFrequencies[f];
                                    out[p * width + k + f] = col * inverseFrequencies[f];
                                }
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** cu_seqlens: repeat_interleave(h·w, t).cumsum, with a leading 0; each frame attends only within itself. */
    static int[] frameStarts(List<ImageGrid> grids) {
        int frames = 0;
        for (ImageGrid g : grids) frames += g.t();
        int[] starts = new int[frames + 1];
        int f = 0;
        for (ImageGrid g : grids) {
            for (int t = 0; t < g.t(); t++, f++) starts[f + 1] = starts[f] + g.h() * g.w();
        }
        return starts;
    }
}
