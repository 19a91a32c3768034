package dev.akvq.model.idefics3;

import dev.akvq.model.StopRequest;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionEncoderLayer;
import dev.akvq.model.WeightReader;
import dev.akvq.tensor.Activation;
import dev.akvq.tensor.Add;
import dev.akvq.tensor.BidirectionalAttention;
import dev.akvq.tensor.LayerNorm;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.PatchUnfold;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.SiglipVisionConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Idefics3's (SmolVLM's) SigLIP-style vision transformer, following transformers 4.47.1
 * (commit 241c04d3) modeling_idefics3.py, {@code Idefics3VisionTransformer} with eager attention:
 *
 * <pre>
 * per tile [C, S, S], S = image_size, G = S / patch_size patches per side:
 *   x = unfold(pixels) Wpatchᵀ + bpatch                 (the stride-P conv as a matrix product)
 *   x = x + pos_emb[bucketed position id]               (Idefics3VisionEmbeddings, NaViT-style)
 *   for each layer:
 *     h = LN1(x); q, k, v = h Wqᵀ + bq, h Wkᵀ + bk, h Wvᵀ + bv
 *     a = softmax(q kᵀ / √d + key mask) v per head      (no causal mask; padding patches are keys of no one)
 *     x = x + a Woᵀ + bo
 *     h = LN2(x); x = x + gelu_tanh(h W1ᵀ + b1) W2ᵀ + b2
 *   out = post_layernorm(x)
 * </pre>
 *
 * Unlike CLIP's tower (LLaVA) there is no class token and no pre-layernorm, the convolution has a
 * bias, the activation is gelu_pytorch_tanh, and the position embedding is looked up by ids that
 * depend on how much of the tile is real image ({@link #positionIds}). All tiles run as one batch
 * of {@code tiles * G²} tokens through the linear layers; attention runs per (tile, head) on the
 * worker pool. Every result is the same for every thread count.
 */
public final class Idefics3VisionTower {

    /**
     * @param patchEmbedding the conv weight {@code [hidden, C, P, P]} read as {@code [hidden, C·P·P]}
     *                       (same bytes: the unfolded patch is laid out channel, row, column)
     */
    public record Weights(MatrixView patchEmbedding, float[] patchBias, MatrixView positionEmbedding, List<VisionEncoderLayer> layers,
                          float[] postNormWeight, float[] postNormBias) {

        /** Reads the tower under {@code prefix} ("model.vision_model."), shapes as {@code ArchitectureLayout} declares. */
        public static Weights load(WeightReader r, SiglipVisionConfig c, String prefix) {
            int h = c.hiddenSize(), p = c.patchSize();
            WeightTensor conv = r.tensor(prefix + "embeddings.patch_embedding.weight");
            MatrixView patch = new MatrixView(conv.dtype(), h, c.numChannels() * p * p, conv.data());
            List<VisionEncoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(VisionEncoderLayer.load(r, prefix + "encoder.layers." + i + "."));
            return new Weights(patch, r.vector(prefix + "embeddings.patch_embedding.bias"),
                    r.matrix(prefix + "embeddings.position_embedding.weight"), List.copyOf(layers),
                    r.vector(prefix + "post_layernorm.weight"), r.vector(prefix + "post_layernorm.bias"));
        }
    }

    private final SiglipVisionConfig config;
    private final Weights weights;
    private final WorkerPool pool;

    private final Activation activation;

    public Idefics3VisionTower(SiglipVisionConfig config, Weights weights, WorkerPool pool) {
        this.activation = Activation.named("config.json: vision_config.hidden_act", config.hiddenAct());   // fails early
        this.config = config;
        this.weights = weights;
        this.pool = pool;
    }

    public SiglipVisionConfig config() {
        return config;
    }

    /** Tokens per tile: (image_size / patch_size)². */
    public int patchesPerTile() {
        return config.numPatches();
    }

    /**
     * Runs {@code tiles} tiles through the tower.
     *
     * @param pixels    {@code [tiles, C, S, S]} normalised pixel values, S = image_size
     * @param patchMask {@code [tiles, G, G]}: true where the patch holds any real pixel
     *                  ({@link #patchMask}); the real patches of a tile form a top-left rectangle
     * @return the post-layernorm features {@code [tiles, G², hidden]} ({@code vision_features})
     */
    public float[] forward(float[] pixels, boolean[] patchMask, int tiles, Trace trace) {
        int hidden = config.hiddenSize(), ffn = config.intermediateSize(), side = config.patchesPerSide();
        int patches = side * side, n = tiles * patches;
        float eps = (float) config.layerNormEps();
        if (tiles < 1) throw new IllegalArgumentException("vision tower: no tiles to encode");
        long expected = (long) tiles * config.numChannels() * config.imageSize() * config.imageSize();
        if (pixels.length != expected) {
            throw new IllegalArgumentException("pixel_values: " + pixels.length + " values, expected " + expected + " = "
                    + tiles + " tiles x " + config.numChannels() + " x " + config.imageSize() + " x " + config.imageSize());
        }
        if (patchMask.length != n) {
            throw new IllegalArgumentException("patch attention mask: " + patchMask.length + " values, expected " + n);
        }
        float[] x = new float[n * hidden];                  // residual stream [tiles * patches, hidden]
        float[] h = new float[n * hidden];                  // normed stream
        float[] q = new float[n * hidden], k = new float[n * hidden], v = new float[n * hidden];
        float[] attention = new float[n * hidden];          // per-head outputs, concatenated
        float[] projected = new float[n * hidden];          // out_proj / fc2 output
        float[] mlp = new float[n * ffn];
        var attentionLayout = BidirectionalAttention.Layout.separate(config.numAttentionHeads(), config.headDim());
        // Idefics3VisionAttention: scores = (q kᵀ) · head_dim**-0.5.
        var scaling = BidirectionalAttention.Scaling.score((float) Math.pow(config.headDim(), -0.5));

        // Embeddings: the stride-P convolution is a matrix product over the unfolded patches.
        float[] unfolded = PatchUnfold.apply(pixels, tiles, config.numChannels(), config.imageSize(), config.patchSize(), pool);
        MatrixMatrix.multiplyTransposedAddBias(unfolded, n, weights.patchEmbedding(), weights.patchBias(), x, pool);
        float[] row = new float[hidden];
        for (int tile = 0; tile < tiles; tile++) {
            int[] ids = positionIds(patchMask, tile * patches, side);
            for (int p = 0; p < patches; p++) {
                weights.positionEmbedding().copyRow(ids[p], row, 0);
                Add.add(x, (tile * patches + p) * hidden, row, 0, hidden);
            }
        }
        if (trace.enabled()) trace.put("vision_hidden_states.0", x.clone(), tiles, patches, hidden);

        for (int l = 0; l < weights.layers().size(); l++) {
            StopRequest.checkBefore("vision tower", l, weights.layers().size());
            VisionEncoderLayer w = weights.layers().get(l);

            // Attention block: LN1, q/k/v, bidirectional attention within each tile, out_proj.
            LayerNorm.rows(h, x, n, w.norm1Weight(), w.norm1Bias(), eps, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.q(), w.qBias(), q, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.k(), w.kBias(), k, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.v(), w.vBias(), v, pool);
            // A padding patch is never attended to; its own query still attends to the tile's real patches.
            BidirectionalAttention.apply(q, k, v, attention, attentionLayout, BidirectionalAttention.uniformStarts(tiles, patches),
                    patchMask, scaling, pool);
            MatrixMatrix.multiplyTransposedAddBias(attention, n, w.out(), w.outBias(), projected, pool);
            Add.add(x, projected);

            // MLP block: x += fc2(act(fc1(LN2(x)))), act gelu_pytorch_tanh in SmolVLM.
            LayerNorm.rows(h, x, n, w.norm2Weight(), w.norm2Bias(), eps, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.fc1(), w.fc1Bias(), mlp, pool);
            activation.applyRows(mlp, n, ffn, pool);
            MatrixMatrix.multiplyTransposedAddBias(mlp, n, w.fc2(), w.fc2Bias(), projected, pool);
            Add.add(x, projected);
            if (trace.enabled()) trace.put("vision_hidden_states." + (l + 1), x.clone(), tiles, patches, hidden);
        }

        float[] out = new float[n * hidden];
        LayerNorm.rows(out, x, n, weights.postNormWeight(), weights.postNormBias(), eps, pool);
        if (trace.enabled()) trace.put("vision_features", out.clone(), tiles, patches, hidden);
        return out;
    }

    /**
     * The patch attention mask of {@code tiles} tiles from the pixel attention mask
     * {@code [tiles, S, S]} (1 = real pixel): a patch is real if any of its pixels is
     * (Idefics3Model.forward: unfold by patch_size, sum > 0).
     */
    public boolean[] patchMask(long[] pixelMask, int tiles) {
        int s = config.imageSize(), p = config.patchSize(), side = config.patchesPerSide();
        if (pixelMask.length != (long) tiles * s * s) {
            throw new IllegalArgumentException("pixel_attention_mask: " + pixelMask.length + " values, expected "
                    + (long) tiles * s * s + " = " + tiles + " tiles x " + s + " x " + s);
        }
        boolean[] out = new boolean[tiles * side * side];
        for (int tile = 0; tile < tiles; tile++) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    if (pixelMask[(tile * s + y) * s + x] != 0) out[(tile * side + y / p) * side + x / p] = true;
                }
            }
        }
        return out;
    }

    /**
     * Position ids of one tile's patches, as Idefics3VisionEmbeddings.forward computes them: a
     * tile whose real part is {@code nbH x nbW} patches spreads its patches over the whole
     * {@code G x G} grid of learned positions by bucketing the fractional coordinates
     * {@code arange(0, 1 - 1e-6, 1/nb)} into {@code boundaries = arange(1/G, 1, 1/G)}
     * ({@code torch.bucketize(..., right=True)}: the count of boundaries ≤ the coordinate); the
     * ids go to the real patches in row-major order, padding patches get id 0.
     *
     * <p>Both aranges are torch's float32 {@code arange}: size {@code ceil((end - start) / step)}
     * in double, element {@code i = (float) (start + i·step)} in double (its scalar loop); the
     * fractional step is {@code 1 / nb} of an int64 tensor, i.e. a float32 reciprocal. For a
     * power-of-two {@code G} (SmolVLM: 512 / 16 = 32; the fixture: 8) every value is exact.
     */
    static int[] positionIds(boolean[] patchMask, int offset, int side) {
        int nbH = 0, nbW = 0, real = 0;
        for (int r = 0; r < side; r++) if (patchMask[offset + r * side]) nbH++;
        for (int c = 0; c < side; c++) if (patchMask[offset + c]) nbW++;
        for (int i = 0; i < side * side; i++) if (patchMask[offset + i]) real++;
        int[] ids = new int[side * side];
        if (real == 0) return ids;
        if (nbH == 0 || nbW == 0) {
            throw new IllegalArgumentException("pixel_attention_mask: a tile has real patches but none in its first row or"
                    + " column; Idefics3 pads images at the bottom and right only");
        }
        float[] boundaries = arange(1.0 / side, 1.0, 1.0 / side);
        int[] bucketH = bucketize(arange(0, 1 - 1e-6, 1.0f / nbH), boundaries);
        int[] bucketW = bucketize(arange(0, 1 - 1e-6, 1.0f / nbW), boundaries);
        if (bucketH.length * bucketW.length != real) {
            throw new IllegalArgumentException("pixel_attention_mask: the real patches of a tile (" + real + ") do not form"
                    + " the top-left " + nbH + " x " + nbW + " rectangle that Idefics3's position ids assume");
        }
        int next = 0;
        for (int i = 0; i < side * side; i++) {
            if (!patchMask[offset + i]) continue;
            ids[i] = bucketH[next / bucketW.length] * side + bucketW[next % bucketW.length];
            next++;
        }
        return ids;
    }

    private static float[] arange(double start, double end, double step) {
        int size = (int) Math.ceil((end - start) / step);
        float[] out = new float[Math.max(size, 0)];
        for (int i = 0; i < out.length; i++) out[i] = (float) (start + i * step);
        return out;
    }

    private static int[] bucketize(float[] values, float[] boundaries) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            int b = 0;
            while (b < boundaries.length && boundaries[b] <= values[i]) b++;
            out[i] = b;
        }
        return out;
    }
}
