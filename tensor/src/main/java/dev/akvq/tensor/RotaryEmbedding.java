package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding in Hugging Face's rotate_half layout (transformers v4.47.1,
 * modeling_llama.py {@code apply_rotary_pos_emb}: {@code q·cos + rotate_half(q)·sin} with
 * {@code rotate_half(q) = cat(-q[d/2:], q[:d/2])}): element {@code i} of the first half pairs with
 * element {@code i + d/2}, not with its neighbour as in the original RoFormer/Meta layout, so the
 * published q/k weights are used unpermuted.
 *
 * <p>For a head of {@code d} values and tables {@code cos, sin} of length {@code d} (from
 * {@link RotaryTables}, {@code emb = cat(freqs, freqs)}):
 * {@code out[i] = x[i]·cos[i] - x[i+d/2]·sin[i]}, {@code out[i+d/2] = x[i+d/2]·cos[i+d/2] + x[i]·sin[i+d/2]}.
 * Each product is rounded before the sum, as torch's elementwise ops do (no FMA), so both forms give
 * identical results.
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /**
     * Rotates {@code heads} consecutive heads of {@code headDim} values starting at {@code x[offset]}
     * in place, all with the table row at {@code cos[tableOffset ..+headDim)}, {@code sin[...]}.
     */
    public static void rotateHalf(float[] x, int offset, int heads, int headDim, float[] cos, float[] sin, int tableOffset) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RotaryEmbedding: head dimension must be even and positive, got " + headDim);
        }
        if (heads < 0) throw new IllegalArgumentException("RotaryEmbedding: heads must be >= 0, got " + heads);
        Objects.checkFromIndexSize(offset, heads * headDim, x.length);
        Objects.checkFromIndexSize(tableOffset, headDim, cos.length);
        Objects.checkFromIndexSize(tableOffset, headDim, sin.length);
        for (int h = 0; h < heads; h++) {
            if (KernelMode.VECTOR) vector(x, offset + h * headDim, headDim, cos, sin, tableOffset);
            else scalar(x, offset + h * headDim, headDim, cos, sin, tableOffset);
        }
    }

    static void vector(float[] x, int offset, int headDim, float[] cos, float[] sin, int tableOffset) {
        int half = headDim / 2;
        int i = 0;
        for (int upper = F.loopBound(half); i < upper; i += F.length()) {
            FloatVector x1 = FloatVector.fromArray(F, x, offset + i);
            FloatVector x2 = FloatVector.fromArray(F, x, offset + half + i);
            FloatVector c1 = FloatVector.fromArray(F, cos, tableOffset + i);
            FloatVector s1 = FloatVector.fromArray(F, sin, tableOffset + i);
            FloatVector c2 = FloatVector.fromArray(F, cos, tableOffset + half + i);
            FloatVector s2 = FloatVector.fromArray(F, sin, tableOffset + half + i);
            x1.mul(c1).sub(x2.mul(s1)).intoArray(x, offset + i);
            x2.mul(c2).add(x1.mul(s2)).intoArray(x, offset + half + i);
        }
        for (; i < half; i++) rotatePair(x, offset, half, i, cos, sin, tableOffset);
    }

    static void scalar(float[] x, int offset, int headDim, float[] cos, float[] sin, int tableOffset) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) rotatePair(x, offset, half, i, cos, sin, tableOffset);
    }

    private static void rotatePair(float[] x, int offset, int half, int i, float[] cos, float[] sin, int t) {
        float x1 = x[offset + i], x2 = x[offset + half + i];
        x[offset + i] = x1 * cos[t + i] - x2 * sin[t + i];
        x[offset + half + i] = x2 * cos[t + half + i] + x1 * sin[t + half + i];
    }
}
