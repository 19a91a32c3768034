package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm as transformers' {@code LlamaRMSNorm.forward} (v4.47.1, modeling_llama.py) computes it in
 * float32: {@code variance = mean(x²)}, {@code x = x · rsqrt(variance + eps)}, {@code y = weight · x}
 * (weight times the normalised value, two float roundings, in that order).
 *
 * <p>The sum of squares is accumulated in float, as torch's {@code mean} does on CPU: the vector
 * form in one FMA accumulator per lane, summed in {@link LaneSum}'s fixed order, the scalar twin
 * sequentially. Either way its relative error is below {@code n·2^-24}; the reciprocal square root is
 * taken in double and rounded to float. Variants such as Gemma's {@code (1 + weight)} are the caller's
 * to fold into {@code weight}. Inputs beyond about 1.8e19 in magnitude overflow {@code x²} in float, as
 * in torch.
 */
public final class RmsNorm {
    private RmsNorm() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /**
     * {@code out[outOffset + i] = weight[i] · (x[xOffset + i] · r)} for {@code i < weight.length},
     * {@code r = 1/√(mean(x²) + eps)}. {@code out} may be {@code x} at the same offset.
     */
    public static void apply(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float eps) {
        int n = weight.length;
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(outOffset, n, out.length);
        if (n == 0) throw new IllegalArgumentException("RmsNorm: weight is empty");
        if (KernelMode.VECTOR) vector(out, outOffset, x, xOffset, weight, eps);
        else scalar(out, outOffset, x, xOffset, weight, eps);
    }

    static void vector(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float eps) {
        int n = weight.length;
        int upper = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            acc = v.fma(v, acc);
        }
        float sumSquares = LaneSum.of(acc);
        for (; i < n; i++) sumSquares = Math.fma(x[xOffset + i], x[xOffset + i], sumSquares);
        float r = inverseRms(sumSquares, n, eps);
        for (i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).mul(r).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) out[outOffset + i] = weight[i] * (x[xOffset + i] * r);
    }

    static void scalar(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float eps) {
        int n = weight.length;
        float sumSquares = 0f;
        for (int i = 0; i < n; i++) sumSquares = Math.fma(x[xOffset + i], x[xOffset + i], sumSquares);
        float r = inverseRms(sumSquares, n, eps);
        for (int i = 0; i < n; i++) out[outOffset + i] = weight[i] * (x[xOffset + i] * r);
    }

    /** {@code rsqrt(sumSquares / n + eps)}: mean and eps added in float as torch does, the root in double. */
    private static float inverseRms(float sumSquares, int n, float eps) {
        float variance = sumSquares / n;
        return (float) (1.0 / Math.sqrt(variance + eps));
    }
}
