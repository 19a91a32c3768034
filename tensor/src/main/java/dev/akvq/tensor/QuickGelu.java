package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * quick_gelu, {@code x · sigmoid(1.702 x)} (transformers' {@code QuickGELUActivation}, used by CLIP
 * and Qwen2-VL's vision towers), as {@code x / (1 + exp(-1.702 x))} in double, rounded once.
 * {@code -Inf} gives NaN ({@code -Inf · 0}), as torch's.
 */
public final class QuickGelu {
    private QuickGelu() {}

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
        return x / (1.0 + Math.exp(-1.702 * x));
    }

    static DoubleVector exact(DoubleVector x) {
        return x.div(x.mul(-1.702).lanewise(VectorOperators.EXP).add(1.0));
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
}
