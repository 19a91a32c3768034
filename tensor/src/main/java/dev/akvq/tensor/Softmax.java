package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax over {@code a[offset .. offset + length)} in place, max-subtracted as torch's:
 * {@code p_i = exp(x_i - max) / Σ_j exp(x_j - max)}. Attention calls it on the prefix of a score row
 * that holds the positions seen so far.
 *
 * <p>{@code x_i - max} and the exponential are evaluated in double and rounded once to float; the
 * sum of those floats is accumulated in double (lanes, then lanes in index order, so the result is
 * the same in every execution mode) and rounded to float; the division is one float division. The
 * result is within a few ulp of the exact softmax. Masked scores of {@code -Inf} give 0. A row of all
 * {@code -Inf}, or one holding {@code +Inf} or NaN, gives NaN everywhere, as torch does.
 */
public final class Softmax {
    private Softmax() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    private static final VectorSpecies<Double> D = KernelMode.DOUBLE;
    private static final VectorSpecies<Float> FD = KernelMode.FLOAT_FOR_DOUBLE;

    public static void inPlace(float[] a, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, a.length);
        if (length == 0) return;
        if (KernelMode.VECTOR) vector(a, offset, length);
        else scalar(a, offset, length);
    }

    static void vector(float[] a, int offset, int length) {
        // Max: order does not matter (max is exact, NaN-propagating, and orders -0 below +0).
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        int upperF = F.loopBound(length);
        if (upperF > 0) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < upperF; i += F.length()) m = m.max(FloatVector.fromArray(F, a, offset + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < length; i++) max = Math.max(max, a[offset + i]);

        DoubleVector sums = DoubleVector.zero(D);
        int upperD = D.loopBound(length);
        for (i = 0; i < upperD; i += D.length()) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(FD, a, offset + i).convertShape(VectorOperators.F2D, D, 0);
            FloatVector e = (FloatVector) x.sub(max).lanewise(VectorOperators.EXP).convertShape(VectorOperators.D2F, FD, 0);
            e.intoArray(a, offset + i);
            sums = sums.add(e.convertShape(VectorOperators.F2D, D, 0));
        }
        double sum = 0;
        for (int lane = 0; lane < D.length(); lane++) sum += sums.lane(lane);   // lane by lane: toArray would allocate per call
        for (; i < length; i++) {
            float e = (float) Math.exp((double) a[offset + i] - max);
            a[offset + i] = e;
            sum += e;
        }
        float total = (float) sum;
        for (i = 0; i < upperF; i += F.length()) FloatVector.fromArray(F, a, offset + i).div(total).intoArray(a, offset + i);
        for (; i < length; i++) a[offset + i] /= total;
    }

    static void scalar(float[] a, int offset, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) max = Math.max(max, a[offset + i]);
        double sum = 0;
        for (int i = 0; i < length; i++) {
            float e = (float) Math.exp((double) a[offset + i] - max);
            a[offset + i] = e;
            sum += e;
        }
        float total = (float) sum;
        for (int i = 0; i < length; i++) a[offset + i] /= total;
    }
}
