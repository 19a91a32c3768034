package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code Σ_i a[aOffset + i] · b[bOffset + i]} for {@code i < n}, in float with fused multiply-adds
 * (attention scores q·k use it). The vector form keeps four lane accumulators to hide FMA latency,
 * adds them pairwise and sums lanes in {@link LaneSum}'s fixed order; the tail is scalar.
 */
public final class DotProduct {
    private DotProduct() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        Objects.checkFromIndexSize(aOffset, n, a.length);
        Objects.checkFromIndexSize(bOffset, n, b.length);
        return KernelMode.VECTOR ? vector(a, aOffset, b, bOffset, n) : scalar(a, aOffset, b, bOffset, n);
    }

    static float vector(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int lanes = F.length();
        int i = 0;
        float sum = 0f;
        if (n >= lanes) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
            for (int upper4 = n - 4 * lanes; i <= upper4; i += 4 * lanes) {
                acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
                acc1 = FloatVector.fromArray(F, a, aOffset + i + lanes).fma(FloatVector.fromArray(F, b, bOffset + i + lanes), acc1);
                acc2 = FloatVector.fromArray(F, a, aOffset + i + 2 * lanes).fma(FloatVector.fromArray(F, b, bOffset + i + 2 * lanes), acc2);
                acc3 = FloatVector.fromArray(F, a, aOffset + i + 3 * lanes).fma(FloatVector.fromArray(F, b, bOffset + i + 3 * lanes), acc3);
            }
            for (int upper = F.loopBound(n); i < upper; i += lanes) {
                acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            }
            sum = LaneSum.of(acc0.add(acc1).add(acc2.add(acc3)));
        }
        for (; i < n; i++) sum = Math.fma(a[aOffset + i], b[bOffset + i], sum);
        return sum;
    }

    static float scalar(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum = Math.fma(a[aOffset + i], b[bOffset + i], sum);
        return sum;
    }
}
