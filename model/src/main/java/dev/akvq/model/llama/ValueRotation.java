package dev.akvq.model.llama;

import dev.akvq.quant.Hadamard;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Folds AKVQ-VL's value rotation into the weights once at load (docs/akvq-vl.md, "Rotation",
 * "Values"): the v_proj output rows of each KV head (and its bias) become {@code H W_v}, so every
 * cached value is {@code v H}; the o_proj input columns of each query head become {@code W_o H},
 * so the rotated attention output is rotated back inside o_proj ({@code H H = I}). Under GQA
 * every query head's block gets its own {@code H}, whichever KV head it reads. Nothing runs at
 * decode time. The folded matrices are F32 (exact in float; a BF16 checkpoint's v_proj and
 * o_proj then take twice their mapped bytes, on the heap).
 */
final class ValueRotation {
    private ValueRotation() {}

    static LlamaWeights fold(LlamaWeights weights, TextDecoderConfig c) {
        int headDim = c.headDim();
        if (!Hadamard.isPowerOfTwo(headDim)) {
            throw new IllegalArgumentException("--kv-rotation on needs head_dim to be a power of two; config.json gives "
                    + headDim + ". HINT: run with --kv-rotation off");
        }
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (LlamaWeights.Layer w : weights.layers()) {
            MatrixView v = rotateOutputRows(w.v(), headDim);
            Optional<float[]> vBias = w.vBias().map(b -> {
                float[] r = b.clone();
                Hadamard.transformEach(r, 0, r.length / headDim, headDim);
                return r;
            });
            layers.add(w.withValueAndOutput(v, vBias, rotateInputColumns(w.o(), headDim)));
        }
        return new LlamaWeights(weights.embedTokens(), List.copyOf(layers), weights.finalNorm(), weights.lmHead());
    }

    /** {@code [heads * headDim, in]} → each head's block of rows multiplied by H on the left (each column's slice transformed). */
    private static MatrixView rotateOutputRows(MatrixView w, int headDim) {
        float[] m = widen(w);
        int rows = w.rows(), cols = w.cols();
        float[] column = new float[headDim];
        for (int head = 0; head < rows / headDim; head++) {
            for (int col = 0; col < cols; col++) {
                for (int i = 0; i < headDim; i++) column[i] = m[(head * headDim + i) * cols + col];
                Hadamard.transform(column, 0, headDim);
                for (int i = 0; i < headDim; i++) m[(head * headDim + i) * cols + col] = column[i];
            }
        }
        return MatrixView.ofFloats(rows, cols, m);
    }

    /** {@code [out, heads * headDim]} → each row's head blocks multiplied by H on the right (H is symmetric). */
    private static MatrixView rotateInputColumns(MatrixView w, int headDim) {
        float[] m = widen(w);
        int rows = w.rows(), cols = w.cols();
        for (int row = 0; row < rows; row++) Hadamard.transformEach(m, row * cols, cols / headDim, headDim);
        return MatrixView.ofFloats(rows, cols, m);
    }

    private static float[] widen(MatrixView w) {
        float[] m = new float[Math.multiplyExact(w.rows(), w.cols())];
        for (int r = 0; r < w.rows(); r++) w.copyRow(r, m, r * w.cols());
        return m;
    }
}
