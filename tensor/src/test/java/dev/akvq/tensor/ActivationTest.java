package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The activations, elementwise over sizes around the lane count, on the corner values and on values
 * across every float exponent: within 1 float ulp of a double oracle evaluated along a different
 * route than the kernel (so a shared slip would not cancel), NaN/Inf as the oracle.
 */
class ActivationTest {

    interface Kernel {
        void apply(float[] a, int offset, int n);
    }

    /** x · sigmoid(k x), with sigmoid(t) = e^t/(1+e^t) for t < 0 (no overflow) and 1/(1+e^-t) otherwise. */
    static double xSigmoid(double x, double k) {
        double t = k * x;
        return t < 0 ? x * Math.exp(t) / (1 + Math.exp(t)) : x / (1 + Math.exp(-t));
    }

    static double geluTanh(double x) {
        double u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        // The tanh form where 1 + tanh(u) has no cancellation; the equivalent logistic form below.
        return u >= -1 ? 0.5 * x * (1 + Math.tanh(u)) : x * Math.exp(2 * u) / (1 + Math.exp(2 * u));
    }

    static double geluErf(double x) {
        return Double.isInfinite(x) && x < 0 ? Double.NaN : 0.5 * x * ErfcTest.oracle(-x / Math.sqrt(2));
    }

    static void check(String name, Kernel vector, Kernel scalar, DoubleUnaryOperator oracle) {
        qt().withExamples(Inputs.examples(150)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, 3), longs().all())
                .checkAssert((size, offset, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float[] x = Inputs.elementwise(random, n);
            for (boolean isVector : new boolean[] {true, false}) {
                float[] a = new float[offset + n];
                System.arraycopy(x, 0, a, offset, n);
                (isVector ? vector : scalar).apply(a, offset, n);
                for (int i = 0; i < n; i++) {
                    double ref = oracle.applyAsDouble(x[i]);
                    Closeness.check(name + (isVector ? " vector" : " scalar") + "(" + x[i] + ")", a[offset + i], ref, Closeness.ulps(ref, 1));
                }
            }
        });
    }

    @Test
    void silu() {
        check("silu", Silu::vector, Silu::scalar, x -> xSigmoid(x, 1));
    }

    @Test
    void quickGelu() {
        check("quick_gelu", QuickGelu::vector, QuickGelu::scalar, x -> xSigmoid(x, 1.702));
    }

    @Test
    void geluTanh() {
        check("gelu_pytorch_tanh", GeluTanh::vector, GeluTanh::scalar, ActivationTest::geluTanh);
    }

    @Test
    void geluErf() {
        check("gelu", GeluErf::vector, GeluErf::scalar, ActivationTest::geluErf);
    }

    @Test
    void swiGluRoundsSiluThenMultiplies() {
        qt().withExamples(Inputs.examples(150)).forAll(integers().between(0, Inputs.SIZES.length - 1), longs().all()).checkAssert((size, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float[] gate = Inputs.elementwise(random, n), up = Inputs.elementwise(random, n);
            for (boolean isVector : new boolean[] {true, false}) {
                float[] g = gate.clone();
                if (isVector) SwiGlu.vector(g, 0, up, 0, n);
                else SwiGlu.scalar(g, 0, up, 0, n);
                for (int i = 0; i < n; i++) {
                    // torch's two roundings: silu to float (the kernel's may be the other neighbour of the
                    // oracle's, 1 ulp off), then one float multiply.
                    float silu = (float) xSigmoid(gate[i], 1);
                    double ref = (double) silu * up[i];
                    double tol = Closeness.ulps(ref, 1) + Math.abs((double) up[i]) * Math.ulp(silu);
                    Closeness.check("swiglu(" + gate[i] + ", " + up[i] + ")", g[i], ref, Double.isFinite(tol) ? tol : 0);
                }
            }
        });
    }
}
