package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The softmax exponential against {@link Math#exp} in double: within 2 float ulp of the exact value
 * where that is at least {@code 2⁻¹²⁶}, exactly 0 below {@link SoftmaxExp#LOWEST}, and the two forms
 * bit for bit equal, on {@code x ≤ 0} and the corner values a softmax can produce ({@code −∞} from a
 * masked key, NaN from a NaN score).
 */
class SoftmaxExpTest {

    /** Null when {@code got} is {@code exp(x)} within the class comment's bound, else why not. */
    static String mismatch(float x, float got) {
        if (Float.isNaN(x)) return Float.isNaN(got) ? null : "exp(NaN) should be NaN, got " + got;
        if (x < SoftmaxExp.LOWEST) return got == 0f && Float.floatToIntBits(got) == 0 ? null : "exp(" + x + ") should be +0, got " + got;
        double exact = Math.exp(x);
        double tol = Math.max(Closeness.ulps(exact, 2), 0x1p-148);
        return Closeness.mismatch(got, exact, tol);
    }

    private static void check(float x, float got, String what) {
        String failure = mismatch(x, got);
        if (failure != null) throw new AssertionError(what + " x=" + x + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + "): " + failure);
    }

    @Test
    void withinTwoUlpOfTheExactExponentialAndBothFormsAgree() {
        int lanes = KernelMode.FLOAT.length();
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, 3), longs().all()).checkAssert((range, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            double width = new double[] {1, 10, 90, 110}[range];   // near 0, typical scores, down to the flush, past it
            float[] x = new float[4 * lanes];
            for (int i = 0; i < x.length; i++) x[i] = (float) (-width * random.nextDouble());
            x[random.nextInt(x.length)] = Inputs.CORNERS[random.nextInt(5)] * (random.nextBoolean() ? 1 : -1);
            for (int c = 0; c < x.length; c += lanes) {
                float[] got = new float[lanes];
                SoftmaxExp.vector(FloatVector.fromArray(KernelMode.FLOAT, x, c)).intoArray(got, 0);
                for (int i = 0; i < lanes; i++) {
                    float xi = x[c + i];
                    if (xi > 0) continue;                           // +Inf, MAX_VALUE...: outside the domain
                    check(xi, got[i], "vector");
                    Closeness.same("vector vs scalar at x=" + xi, got[i], SoftmaxExp.scalar(xi));
                }
            }
        });
    }

    @Test
    void cornersAndTheEdgesOfTheFlush() {
        float[] xs = {0f, -0f, -Float.MIN_VALUE, -1e-30f, -0.34657359f, -0.34657362f, -0.6931472f, -1f, -20f, -87f,
                SoftmaxExp.LOWEST, Math.nextUp(SoftmaxExp.LOWEST), Math.nextDown(SoftmaxExp.LOWEST), -100f, -Float.MAX_VALUE,
                Float.NEGATIVE_INFINITY, Float.NaN};
        for (float x : xs) {
            check(x, SoftmaxExp.scalar(x), "scalar");
            float[] one = new float[KernelMode.FLOAT.length()];
            SoftmaxExp.vector(FloatVector.broadcast(KernelMode.FLOAT, x)).intoArray(one, 0);
            Closeness.same("vector vs scalar at x=" + x, one[0], SoftmaxExp.scalar(x));
        }
        Closeness.same("exp(0)", SoftmaxExp.scalar(0f), 1f);
        Closeness.same("exp(-inf)", SoftmaxExp.scalar(Float.NEGATIVE_INFINITY), 0f);
    }

    /** The check rejects an answer 5 ulp off, a flushed value that is not 0, and a NaN for a number. */
    @Test
    void theCheckCanFail() {
        float good = SoftmaxExp.scalar(-1f);
        assertThrows(AssertionError.class, () -> check(-1f, good + 5 * Math.ulp(good), "wrong"));
        assertThrows(AssertionError.class, () -> check(-90f, Float.MIN_VALUE, "wrong"));
        assertThrows(AssertionError.class, () -> check(-1f, Float.NaN, "wrong"));
        assertThrows(AssertionError.class, () -> check(Float.NaN, 1f, "wrong"));
    }
}
