package dev.akvq.tensor;

import java.util.SplittableRandom;

/** Test inputs: sizes around the lane count, magnitudes, and the JDK Vector API tests' corner values. */
final class Inputs {
    private Inputs() {}

    /**
     * Examples for a property of {@code n}: all of them at the preferred width, a third (at least
     * 20) when tensor/'s pom reruns the kernel properties at a narrower one
     * ({@code akvq.test.vector.bits}): the same arithmetic on fewer lanes, kept to a few seconds.
     */
    static int examples(int n) {
        return System.getProperty("akvq.test.vector.bits") == null ? n : Math.max(20, n / 3);
    }

    /** Below, at and above the float lane count (16 with AVX-512, 8 with AVX2, 4 with NEON), up to 3x lanes plus odd tails. */
    static final int[] SIZES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 100, 257};

    /** Magnitudes from tiny (products underflow float) to large (but no overflow in the sums tested). */
    static final double[] SCALES = {1e-20, 1e-3, 1.0, 1e3, 1e15};

    /** The special values jdk/incubator/vector tests feed to float operations. */
    static final float[] CORNERS = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL, 1f, -1f};

    static float[] uniform(SplittableRandom random, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * (2 * random.nextDouble() - 1));
        return a;
    }

    /** Uniform values with, when {@code corners}, a few corner values at random positions. */
    static float[] withCorners(SplittableRandom random, int n, double scale, boolean corners) {
        float[] a = uniform(random, n, scale);
        if (corners) {
            int count = 1 + random.nextInt(Math.max(1, n / 8));
            for (int k = 0; k < count; k++) a[random.nextInt(n)] = CORNERS[random.nextInt(CORNERS.length)];
        }
        return a;
    }

    /** Every corner value, then random values spanning all float exponents (signs mixed). */
    static float[] elementwise(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < CORNERS.length && random.nextBoolean() ? CORNERS[i]
                    : (float) ((random.nextBoolean() ? 1 : -1) * Math.scalb(1 + random.nextDouble(), random.nextInt(-150, 128)));
            if (random.nextInt(4) == 0) a[i] = (float) (20 * (2 * random.nextDouble() - 1)); // where the curves bend
        }
        return a;
    }
}
