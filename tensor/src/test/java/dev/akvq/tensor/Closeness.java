package dev.akvq.tensor;

/**
 * Comparison of a float kernel result with a double-precision oracle, under the package's NaN/Inf
 * policy (see package-info): a NaN oracle needs NaN, an infinite oracle the same infinity, a finite
 * oracle a finite result within {@code tol} of it, except that float arithmetic may overflow to an
 * infinity of the oracle's sign where the oracle is within {@code tol} of the float range's edge.
 * {@code tol} must come from a scale of the computation (e.g. {@code Σ|w_i x_i|}), never from the
 * result alone; ClosenessTest proves that each check rejects wrong answers.
 */
final class Closeness {
    private Closeness() {}

    /** Unit roundoff of float, 2^-24. */
    static final double U = 0x1p-24;

    static void check(String what, float actual, double oracle, double tol) {
        String failure = mismatch(actual, oracle, tol);
        if (failure != null) throw new AssertionError(what + ": " + failure);
    }

    /** Null when {@code actual} is acceptable, else why not. */
    static String mismatch(float actual, double oracle, double tol) {
        // A non-finite oracle needs the same kind of result whatever the tolerance.
        if (Double.isNaN(oracle)) return Float.isNaN(actual) ? null : "expected NaN, got " + actual;
        if (Double.isInfinite(oracle)) return actual == oracle ? null : "expected " + oracle + ", got " + actual;
        if (!(tol >= 0) || Double.isInfinite(tol)) return "tolerance " + tol + " is not a finite non-negative number";
        if (Float.isNaN(actual)) return "expected " + oracle + " (finite), got NaN";
        if (Float.isInfinite(actual)) {
            boolean edge = Math.abs(oracle) + tol >= Float.MAX_VALUE && Math.signum(actual) == Math.signum(oracle);
            return edge ? null : "expected " + oracle + " (finite), got " + actual;
        }
        double error = Math.abs(actual - oracle);
        return error <= tol ? null : "expected " + oracle + " ± " + tol + ", got " + actual + " (error " + error + ", " + (error / tol) + " x tol)";
    }

    /** Within {@code ulps} float ulps of the oracle rounded to float (ulp of a subnormal is MIN_VALUE). */
    static double ulps(double oracle, double ulps) {
        if (!Double.isFinite(oracle)) return 0;
        float rounded = (float) oracle;
        float ulp = Float.isInfinite(rounded) ? Math.ulp(Float.MAX_VALUE) : Math.ulp(rounded);
        return ulps * ulp;
    }

    /** Exact IEEE equality, with every NaN equal to every NaN and +0 different from -0. */
    static void same(String what, float actual, float expected) {
        if (Float.floatToIntBits(actual) != Float.floatToIntBits(expected)) {
            throw new AssertionError(what + ": expected " + expected + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected))
                    + "), got " + actual + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual)) + ")");
        }
    }

    static void sameArrays(String what, float[] actual, float[] expected) {
        if (actual.length != expected.length) throw new AssertionError(what + ": lengths " + actual.length + " vs " + expected.length);
        for (int i = 0; i < actual.length; i++) same(what + "[" + i + "]", actual[i], expected[i]);
    }
}
