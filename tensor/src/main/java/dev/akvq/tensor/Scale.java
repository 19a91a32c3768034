package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** {@code a[offset + i] *= s}: attention's 1/√d, embedding multipliers. One IEEE float multiply per element. */
public final class Scale {
    private Scale() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    public static void scale(float[] a, int offset, int n, float s) {
        Objects.checkFromIndexSize(offset, n, a.length);
        if (KernelMode.VECTOR) vector(a, offset, n, s);
        else scalar(a, offset, n, s);
    }

    static void vector(float[] a, int offset, int n, float s) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, offset + i).mul(s).intoArray(a, offset + i);
        }
        for (; i < n; i++) a[offset + i] *= s;
    }

    static void scalar(float[] a, int offset, int n, float s) {
        for (int i = 0; i < n; i++) a[offset + i] *= s;
    }
}
