package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Each comparison helper must be able to fail: fed wrong answers, it rejects them. */
class ClosenessTest {

    @Test
    void acceptsAnAnswerWithinTolerance() {
        assertDoesNotThrow(() -> Closeness.check("ok", 1.0f + 1e-7f, 1.0, 1e-6));
        assertDoesNotThrow(() -> Closeness.check("nan", Float.NaN, Double.NaN, 0));
        assertDoesNotThrow(() -> Closeness.check("inf", Float.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 0));
        assertDoesNotThrow(() -> Closeness.check("overflow at the edge", Float.POSITIVE_INFINITY, 1.5 * Float.MAX_VALUE, 1e30));
    }

    @Test
    void rejectsAnAllZeroKernel() {
        // The defect STYLE.md names: a tolerance of "tol + |ref|" would accept 0 here.
        assertThrows(AssertionError.class, () -> Closeness.check("zero", 0f, 3.0, 1e-3 * 3.0));
    }

    @Test
    void rejectsAPerturbedAnswer() {
        double oracle = 12.5, tol = 1e-5;
        assertThrows(AssertionError.class, () -> Closeness.check("perturbed", (float) (oracle + 10 * tol), oracle, tol));
        assertThrows(AssertionError.class, () -> Closeness.check("one ulp off at 0 ulps", Math.nextUp(1f), 1.0, Closeness.ulps(1.0, 0)));
        assertThrows(AssertionError.class, () -> Closeness.check("two ulps off at 1 ulp", 1f + 2 * Math.ulp(1f), 1.0, Closeness.ulps(1.0, 1)));
    }

    @Test
    void rejectsTheWrongKindOfNonFinite() {
        assertThrows(AssertionError.class, () -> Closeness.check("finite for NaN", 0f, Double.NaN, 1));
        assertThrows(AssertionError.class, () -> Closeness.check("NaN for finite", Float.NaN, 1.0, 1));
        assertThrows(AssertionError.class, () -> Closeness.check("+Inf for -Inf", Float.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1));
        assertThrows(AssertionError.class, () -> Closeness.check("Inf for NaN", Float.POSITIVE_INFINITY, Double.NaN, 1));
        assertThrows(AssertionError.class, () -> Closeness.check("Inf far from the edge", Float.POSITIVE_INFINITY, 1e30, 1e20));
        assertThrows(AssertionError.class, () -> Closeness.check("-Inf for +overflow", Float.NEGATIVE_INFINITY, 1.5 * Float.MAX_VALUE, 1e30));
    }

    @Test
    void sameTellsSignedZerosAndBitsApart() {
        assertThrows(AssertionError.class, () -> Closeness.same("zeros", -0f, 0f));
        assertThrows(AssertionError.class, () -> Closeness.same("ulp", Math.nextUp(1f), 1f));
        assertDoesNotThrow(() -> Closeness.same("nan", Float.NaN, Float.intBitsToFloat(0x7fc00001)));
    }
}
