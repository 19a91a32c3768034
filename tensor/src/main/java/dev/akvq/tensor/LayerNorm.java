package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm as {@code torch.nn.LayerNorm} over the last dimension: {@code y = (x - mean) / √(var + eps)
 * · weight + bias} with the biased variance {@code var = mean((x - mean)²)}.
 *
 * <p>Two passes in float (mean, then the centred sum of squares, which avoids the cancellation of
 * {@code E[x²] - E[x]²}); sums accumulated in one float accumulator per lane and summed in
 * {@link LaneSum}'s fixed order (scalar twin: sequentially), relative error below {@code n·2^-24}.
 * {@code 1/√(var + eps)} is taken in double and rounded to float.
 */
public final class LayerNorm {
    private LayerNorm() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /** Normalises {@code x[xOffset ..+n)} into {@code out[outOffset ..+n)}, {@code n = weight.length = bias.length}. */
    /**
     * LayerNorm of each of {@code rows} rows of {@code weight.length} floats of {@code x} into {@code out}
     * (may be the same array), rows split over the pool; each row is {@link #apply}'s result.
     */
    public static void rows(float[] out, float[] x, int rows, float[] weight, float[] bias, float eps, WorkerPool pool) {
        int width = weight.length;
        pool.forRange(rows, (start, end) -> {
            for (int t = start; t < end; t++) apply(out, t * width, x, t * width, weight, bias, eps);
        });
    }

    public static void apply(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, float eps) {
        int n = weight.length;
        if (bias.length != n) throw new IllegalArgumentException("LayerNorm: weight has " + n + " values, bias " + bias.length);
        if (n == 0) throw new IllegalArgumentException("LayerNorm: weight is empty");
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(outOffset, n, out.length);
        if (KernelMode.VECTOR) vector(out, outOffset, x, xOffset, weight, bias, eps);
        else scalar(out, outOffset, x, xOffset, weight, bias, eps);
    }

    static void vector(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, float eps) {
        int n = weight.length;
        int upper = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, xOffset + i));
        float sum = LaneSum.of(acc);
        for (; i < n; i++) sum += x[xOffset + i];
        float mean = sum / n;

        acc = FloatVector.zero(F);
        for (i = 0; i < upper; i += F.length()) {
            FloatVector d = FloatVector.fromArray(F, x, xOffset + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float centred = LaneSum.of(acc);
        for (; i < n; i++) centred = Math.fma(x[xOffset + i] - mean, x[xOffset + i] - mean, centred);
        float r = inverseStd(centred, n, eps);

        for (i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).sub(mean).mul(r)
                    .mul(FloatVector.fromArray(F, weight, i)).add(FloatVector.fromArray(F, bias, i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < n; i++) out[outOffset + i] = (x[xOffset + i] - mean) * r * weight[i] + bias[i];
    }

    static void scalar(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, float eps) {
        int n = weight.length;
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += x[xOffset + i];
        float mean = sum / n;
        float centred = 0f;
        for (int i = 0; i < n; i++) centred = Math.fma(x[xOffset + i] - mean, x[xOffset + i] - mean, centred);
        float r = inverseStd(centred, n, eps);
        for (int i = 0; i < n; i++) out[outOffset + i] = (x[xOffset + i] - mean) * r * weight[i] + bias[i];
    }

    private static float inverseStd(float centredSquares, int n, float eps) {
        float variance = centredSquares / n;
        return (float) (1.0 / Math.sqrt(variance + eps));
    }
}
