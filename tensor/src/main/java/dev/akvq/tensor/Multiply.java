package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** {@code a[aOffset + i] *= b[bOffset + i]}: gating, elementwise. One IEEE float multiply per element. */
public final class Multiply {
    private Multiply() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    public static void multiply(float[] a, int aOffset, float[] b, int bOffset, int n) {
        Objects.checkFromIndexSize(aOffset, n, a.length);
        Objects.checkFromIndexSize(bOffset, n, b.length);
        if (KernelMode.VECTOR) vector(a, aOffset, b, bOffset, n);
        else scalar(a, aOffset, b, bOffset, n);
    }

    static void vector(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, aOffset + i).mul(FloatVector.fromArray(F, b, bOffset + i)).intoArray(a, aOffset + i);
        }
        for (; i < n; i++) a[aOffset + i] *= b[bOffset + i];
    }

    static void scalar(float[] a, int aOffset, float[] b, int bOffset, int n) {
        for (int i = 0; i < n; i++) a[aOffset + i] *= b[bOffset + i];
    }
}
