package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, tanh approximation ({@code gelu_pytorch_tanh}, {@code gelu_new}; SigLIP, Gemma):
 * {@code 0.5 x (1 + tanh(u))}, {@code u = √(2/π) (x + 0.044715 x³)} (Hendrycks and Gimpel,
 * arXiv:1606.08415, section 2). Evaluated in double through the identity
 * {@code 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u))}, which has no cancellation for negative x where
 * {@code 1 + tanh(u)} loses every digit, then rounded once: within 1 ulp of the exact value. torch
 * evaluates the tanh form in float, so it differs from this by up to about {@code |x|·2^-24} for
 * negative x. {@code -Inf} gives NaN ({@code -Inf / Inf}), as the tanh form does.
 */
public final class GeluTanh {
    private GeluTanh() {}

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
        return x / (1.0 + Math.exp(-2.0 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    }

    static DoubleVector exact(DoubleVector x) {
        return x.div(x.mul(x).mul(x).mul(0.044715).add(x).mul(-2.0 * SQRT_2_OVER_PI).lanewise(VectorOperators.EXP).add(1.0));
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

    /** √(2/π) as a double. */
    static final double SQRT_2_OVER_PI = 0.7978845608028654;
}
