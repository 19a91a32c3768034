package dev.akvq.model.clip;

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
import dev.akvq.weights.config.ClipVisionConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CLIP's vision transformer, following transformers 4.47.1 (commit 241c04d3) modeling_clip.py,
 * {@code CLIPVisionTransformer} with eager attention:
 *
 * <pre>
 * patches = unfold(pixels, patch) Wpᵀ              (the stride-patch Conv2d without bias, as a matrix product)
 * x = [class_embedding; patches] + position_embedding
 * x = pre_layrnorm(x)                              hidden_states[0]
 * for each layer:
 *   h = layer_norm1(x);  q, k, v = h Wqᵀ + bq, h Wkᵀ + bk, h Wvᵀ + bv
 *   x = x + softmax(q kᵀ / √d) v Woᵀ + bo          (no mask: every token sees every token of its image)
 *   h = layer_norm2(x);  x = x + act(h W1ᵀ + b1) W2ᵀ + b2      (act: quick_gelu, gelu, ...)
 *                                                  hidden_states[l + 1]
 * </pre>
 *
 * post_layernorm only feeds CLIP's pooled output, which LLaVA never reads, so it is not applied.
 * Every image of a call runs as one batch of {@code images · (patches + 1)} rows through the
 * matrix products; attention stays within each image. The work is split over the pool's threads
 * by rows (matrix products, norms) and by (image, head, token) (attention), and every result is
 * computed whole by one thread, so the output does not depend on the thread count.
 */
public final class ClipVisionTower {
    private final ClipVisionConfig config;
    private final Weights weights;
    private final WorkerPool pool;

    /** The tower's weights under Hugging Face's names ({@code <prefix>embeddings.*}, {@code <prefix>encoder.layers.{i}.*}). */
    public record Weights(float[] classEmbedding, MatrixView patchEmbedding, float[] positionEmbedding,
                          float[] preNormWeight, float[] preNormBias, List<VisionEncoderLayer> layers) {}


    private final Activation activation;

    public ClipVisionTower(ClipVisionConfig config, Weights weights, WorkerPool pool) {
        this.activation = Activation.named("config.json: vision_config.hidden_act", config.hiddenAct());   // fails early
        this.config = config;
        this.weights = weights;
        this.pool = pool;
    }

    /** Reads the tower under {@code prefix} (LLaVA: "vision_tower.vision_model."), shapes as {@code ArchitectureLayout} declares. */
    public static ClipVisionTower load(WeightReader r, ClipVisionConfig c, String prefix, WorkerPool pool) {
        int h = c.hiddenSize(), p = c.patchSize();
        String e = prefix + "embeddings.";
        // The Conv2d weight [hidden, channels, p, p] is, row-major, the matrix [hidden, channels·p·p].
        WeightTensor conv = r.tensor(e + "patch_embedding.weight");
        MatrixView patch = new MatrixView(conv.dtype(), h, c.numChannels() * p * p, conv.data());
        List<VisionEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(VisionEncoderLayer.load(r, prefix + "encoder.layers." + i + "."));
        Weights w = new Weights(r.vector(e + "class_embedding"), patch, r.vector(e + "position_embedding.weight"),
                r.vector(prefix + "pre_layrnorm.weight"), r.vector(prefix + "pre_layrnorm.bias"), List.copyOf(layers));
        r.notApplied(prefix + "post_layernorm.weight");
        r.notApplied(prefix + "post_layernorm.bias");
        return new ClipVisionTower(c, w, pool);
    }

    public ClipVisionConfig config() {
        return config;
    }

    /** Rows per image: the class token, then the patches row-major. */
    public int tokensPerImage() {
        return config.numPatches() + 1;
    }

    /**
     * Runs {@code images} images of {@code pixelValues [images, channels, image_size, image_size]}
     * through the layers up to the deepest of {@code wanted} and returns those hidden states
     * (index 0 = embeddings after pre_layrnorm, index l = output of layer l - 1), each
     * {@code [images · tokensPerImage, hidden]}; only they are kept. The trace receives
     * {@code vision_hidden_states.{i}} of every state computed.
     */
    public Map<Integer, float[]> hiddenStates(float[] pixelValues, int images, Collection<Integer> wanted, Trace trace) {
        int hidden = config.hiddenSize(), heads = config.numAttentionHeads(), headDim = config.headDim();
        int ffn = config.intermediateSize(), seq = tokensPerImage(), n = images * seq;
        for (int state : wanted) {
            if (state < 0 || state > config.numHiddenLayers()) {
                throw new IllegalArgumentException("vision hidden state " + state + " does not exist: the tower has "
                        + (config.numHiddenLayers() + 1) + " (0 .. " + config.numHiddenLayers() + ")");
            }
        }
        int lastState = wanted.stream().mapToInt(Integer::intValue).max()
                .orElseThrow(() -> new IllegalArgumentException("no vision hidden state asked for"));
        long expected = (long) images * config.numChannels() * config.imageSize() * config.imageSize();
        if (images < 1 || pixelValues.length != expected) {
            throw new IllegalArgumentException("pixel_values holds " + pixelValues.length + " floats; " + images + " images of ["
                    + config.numChannels() + ", " + config.imageSize() + ", " + config.imageSize() + "] (vision_config.image_size) need "
                    + expected);
        }
        float eps = (float) config.layerNormEps();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] x = embeddings(pixelValues, images);                  // [n, hidden] residual stream
        float[] h = new float[n * hidden];                            // normed stream
        float[] q = new float[n * hidden], k = new float[n * hidden], v = new float[n * hidden];
        float[] attention = new float[n * hidden], projected = new float[n * hidden];
        float[] mlp = new float[n * ffn];
        Map<Integer, float[]> states = new TreeMap<>();

        LayerNorm.rows(x, x, n, weights.preNormWeight(), weights.preNormBias(), eps, pool);
        if (wanted.contains(0)) states.put(0, x.clone());
        if (trace.enabled()) trace.put("vision_hidden_states.0", x.clone(), images, seq, hidden);

        for (int l = 0; l < lastState; l++) {
            StopRequest.checkBefore("vision tower", l, lastState);
            VisionEncoderLayer w = weights.layers().get(l);
            // Attention block: x += out_proj(attention(q, k, v of layer_norm1(x))).
            LayerNorm.rows(h, x, n, w.norm1Weight(), w.norm1Bias(), eps, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.q(), w.qBias(), q, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.k(), w.kBias(), k, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.v(), w.vBias(), v, pool);
            BidirectionalAttention.apply(q, k, v, attention, images, seq, heads, headDim, scale, pool);
            MatrixMatrix.multiplyTransposedAddBias(attention, n, w.out(), w.outBias(), projected, pool);
            Add.add(x, projected);

            // MLP block: x += fc2(act(fc1(layer_norm2(x)))).
            LayerNorm.rows(h, x, n, w.norm2Weight(), w.norm2Bias(), eps, pool);
            MatrixMatrix.multiplyTransposedAddBias(h, n, w.fc1(), w.fc1Bias(), mlp, pool);
            activation.applyRows(mlp, n, ffn, pool);
            MatrixMatrix.multiplyTransposedAddBias(mlp, n, w.fc2(), w.fc2Bias(), projected, pool);
            Add.add(x, projected);
            if (wanted.contains(l + 1)) states.put(l + 1, x.clone());
            if (trace.enabled()) trace.put("vision_hidden_states." + (l + 1), x.clone(), images, seq, hidden);
        }
        return states;
    }

    /**
     * CLIPVisionEmbeddings: each image's patches, unfolded as (channel, row, column) to match the
     * Conv2d weight, times the patch matrix; the class embedding in row 0; then the position
     * embedding of every row added.
     */
    private float[] embeddings(float[] pixels, int images) {
        int hidden = config.hiddenSize(), p = config.patchSize(), side = config.patchesPerSide(), size = config.imageSize();
        int channels = config.numChannels(), patchLength = channels * p * p, patches = config.numPatches(), seq = patches + 1;
        float[] unfolded = PatchUnfold.apply(pixels, images, channels, size, p, pool);
        float[] patchEmbeds = new float[images * patches * hidden];
        MatrixMatrix.multiplyTransposed(unfolded, images * patches, weights.patchEmbedding(), patchEmbeds, pool);
        float[] x = new float[images * seq * hidden];
        for (int image = 0; image < images; image++) {
            int row = image * seq * hidden;
            System.arraycopy(weights.classEmbedding(), 0, x, row, hidden);
            System.arraycopy(patchEmbeds, image * patches * hidden, x, row + hidden, patches * hidden);
            Add.add(x, row, weights.positionEmbedding(), 0, seq * hidden);
        }
        return x;
    }
}
