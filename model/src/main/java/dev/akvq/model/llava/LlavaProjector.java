package dev.akvq.model.llava;

import dev.akvq.model.WeightReader;
import dev.akvq.tensor.Activation;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.LlavaConfig;
import java.util.Optional;

/**
 * LLaVA's multi-modal projector, transformers 4.47.1 modeling_llava.py {@code LlavaMultiModalProjector}:
 * {@code y = linear_2(act(linear_1(x)))}, from the vision features (hidden size times the number
 * of feature layers, concatenated) to the language model's hidden size. {@code act} is
 * projector_hidden_act ("gelu" is the exact erf form); the linears have biases unless
 * multimodal_projector_bias is false.
 */
public final class LlavaProjector {
    private final MatrixView linear1, linear2;
    private final Optional<float[]> bias1, bias2;
    private final Activation activation;
    private final WorkerPool pool;

    public LlavaProjector(MatrixView linear1, Optional<float[]> bias1, MatrixView linear2, Optional<float[]> bias2,
                          String activation, WorkerPool pool) {
        this.linear1 = linear1;
        this.bias1 = bias1;
        this.linear2 = linear2;
        this.bias2 = bias2;
        this.activation = Activation.named("config.json: projector_hidden_act", activation);
        this.pool = pool;
    }

    /** Reads {@code multi_modal_projector.linear_{1,2}} with the shapes the config implies. */
    public static LlavaProjector load(WeightReader r, LlavaConfig c, WorkerPool pool) {
        boolean bias = c.multimodalProjectorBias();
        String p = "multi_modal_projector.";
        return new LlavaProjector(r.matrix(p + "linear_1.weight"), r.bias(bias, p + "linear_1.bias"),
                r.matrix(p + "linear_2.weight"), r.bias(bias, p + "linear_2.bias"), c.projectorHiddenAct(), pool);
    }

    public int inputSize() {
        return linear1.cols();
    }

    public int outputSize() {
        return linear2.rows();
    }

    /** {@code features [rows, inputSize]} to {@code [rows, outputSize]}. */
    public float[] project(float[] features, int rows) {
        int width = linear1.rows();
        float[] hidden = new float[rows * width];
        linear(features, rows, linear1, bias1, hidden);
        activation.applyRows(hidden, rows, width, pool);
        float[] out = new float[rows * linear2.rows()];
        linear(hidden, rows, linear2, bias2, out);
        return out;
    }

    private void linear(float[] x, int rows, MatrixView w, Optional<float[]> bias, float[] y) {
        if (bias.isPresent()) MatrixMatrix.multiplyTransposedAddBias(x, rows, w, bias.get(), y, pool);
        else MatrixMatrix.multiplyTransposed(x, rows, w, y, pool);
    }
}
