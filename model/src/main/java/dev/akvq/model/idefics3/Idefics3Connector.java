package dev.akvq.model.idefics3;

import dev.akvq.model.Trace;
import dev.akvq.model.WeightReader;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.Idefics3Config;

/**
 * Idefics3Connector (transformers 4.47.1, commit 241c04d3, modeling_idefics3.py): a pixel shuffle
 * that folds each {@code s x s} block of neighbouring patches (s = scale_factor) into one token of
 * {@code s²} times the width, then {@code modality_projection.proj}, a linear layer without bias,
 * into the text model's hidden size:
 *
 * <pre>
 * per tile, features [G, G, D]:
 *   shuffled[r, c] = concat over dy &lt; s, dx &lt; s of features[r·s + dy, c·s + dx]   [G/s, G/s, D·s²]
 *   out = shuffled Wprojᵀ                                                     [(G/s)², text hidden]
 * </pre>
 *
 * (The reference writes the shuffle as view / permute / reshape; the index formula above is what
 * those four steps compute.)
 */
public final class Idefics3Connector {
    private final Idefics3Config config;
    private final MatrixView projection;
    private final WorkerPool pool;

    public Idefics3Connector(Idefics3Config config, MatrixView projection, WorkerPool pool) {
        this.config = config;
        this.projection = projection;
        this.pool = pool;
    }

    /** Reads {@code model.connector.modality_projection.proj.weight} {@code [text hidden, vision hidden · s²]}. */
    public static Idefics3Connector load(WeightReader r, Idefics3Config config, WorkerPool pool) {
        return new Idefics3Connector(config, r.matrix("model.connector.modality_projection.proj.weight"), pool);
    }

    /** {@code [tiles, G², D]} vision features to {@code [tiles, (G/s)², text hidden]} image embeddings. */
    public float[] forward(float[] features, int tiles, Trace trace) {
        int tokens = tiles * config.imageSeqLength();
        float[] shuffled = pixelShuffle(features, tiles);
        if (trace.enabled()) trace.put("pixel_shuffle_output", shuffled.clone(), tiles, config.imageSeqLength(),
                config.connectorInputDim());
        float[] out = new float[tokens * config.textConfig().hiddenSize()];
        MatrixMatrix.multiplyTransposed(shuffled, tokens, projection, out, pool);
        if (trace.enabled()) trace.put("projector_output", out.clone(), tiles, config.imageSeqLength(),
                config.textConfig().hiddenSize());
        return out;
    }

    /** Idefics3Connector.pixel_shuffle, tile by tile. */
    float[] pixelShuffle(float[] features, int tiles) {
        int d = config.visionConfig().hiddenSize(), g = config.visionConfig().patchesPerSide(), s = config.scaleFactor();
        int side = g / s, width = d * s * s;
        if (features.length != (long) tiles * g * g * d) {
            throw new IllegalArgumentException("connector: " + features.length + " vision features, expected " + tiles
                    + " tiles x " + g * g + " patches x " + d);
        }
        float[] out = new float[tiles * side * side * width];
        for (int tile = 0; tile < tiles; tile++) {
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    int to = ((tile * side + r) * side + c) * width;
                    for (int dy = 0; dy < s; dy++) {
                        for (int dx = 0; dx < s; dx++) {
                            int from = ((tile * g + r * s + dy) * g + c * s + dx) * d;
                            System.arraycopy(features, from, out, to + (dy * s + dx) * d, d);
                        }
                    }
                }
            }
        }
        return out;
    }
}
