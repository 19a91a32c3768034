package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, exact form ({@code ACT2FN["gelu"]}, torch's {@code F.gelu} default):
 * {@code 0.5 x (1 + erf(x/√2))}, evaluated as {@code 0.5 x erfc(-x/√2)} in double with
 * {@link Erfc} and rounded once, so it stays accurate where {@code 1 + erf} cancels (x below
 * about -4, where torch's float evaluation returns -0). {@code -Inf} gives NaN
 * ({@code -Inf · 0}), as the erf form does.
 */
public final class GeluErf {
    private GeluErf() {}

    private static final VectorSpecies<Double> D = KernelMode.DOUBLE;
    private static final VectorSpecies<Float> FD = KernelMode.FLOAT_FOR_DOUBLE;

    /** Applies the function in place to {@code a[offset .. offset + n)}. */
    public static void apply(float[] a, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, a.length);
        if (KernelMode.VECTOR) vector(a, offset, n);
        else scalar(a, offset, n);
    }

    /** The function of one value, evaluated in double and rounded once. */
    public static float of(float value) {
        return (float) exact(value);
    }

    static double exact(double x) {
        return 0.5 * x * Erfc.erfc(-x * SQRT_HALF);
    }

    static DoubleVector exact(DoubleVector x) {
        return x.mul(0.5).mul(Erfc.erfc(x.mul(-SQRT_HALF)));
    }

    static void vector(float[] a, int offset, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(FD, a, offset + i).convertShape(VectorOperators.F2D, D, 0);
            ((FloatVector) exact(x).convertShape(VectorOperators.D2F, FD, 0)).intoArray(a, offset + i);
        }
        for (; i < n; i++) a[offset + i] = (float) exact(a[offset + i]);
    }

    static void scalar(float[] a, int offset, int n) {
        for (int i = 0; i < n; i++) a[offset + i] = (float) exact(a[offset + i]);
    }

    /** 1/√2 as a double. */
    static final double SQRT_HALF = 0.7071067811865476;
}
