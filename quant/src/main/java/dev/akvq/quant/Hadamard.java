package dev.akvq.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The normalised Walsh-Hadamard transform in Sylvester order (docs/akvq-vl.md, "Rotation"): {@code x ← x H} with {@code H = H₂ ⊗ … ⊗ H₂ / √n}, symmetric, orthogonal and its own
 * inverse. The fast form is the in-place butterfly {@code (a, b) → (a + b, a − b)} over log₂ n
 * stages, then one scale by {@code 1/√n}; both forms do the same float operations in the same order,
 * so they agree bit for bit.
 */
public final class Hadamard {
    private Hadamard() {}

    private static final VectorSpecies<Float> F = QuantKernelMode.FLOAT;

    /** Whether {@code n} is a power of two (1, 2, 4, ...): the sizes the transform exists for. */
    public static boolean isPowerOfTwo(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    /** Transforms {@code x[offset, offset + n)} in place; {@code n} must be a power of two. */
    public static void transform(float[] x, int offset, int n) {
        check(x, offset, n);
        if (QuantKernelMode.VECTOR) transformVector(x, offset, n);
        else transformScalar(x, offset, n);
    }

    /** Transforms {@code heads} consecutive blocks of {@code n} in place (every head of one token's keys). */
    public static void transformEach(float[] x, int offset, int heads, int n) {
        for (int h = 0; h < heads; h++) transform(x, offset + h * n, n);
    }

    static void transformScalar(float[] x, int offset, int n) {
        for (int half = 1; half < n; half <<= 1) {
            for (int block = 0; block < n; block += 2 * half) {
                for (int j = block; j < block + half; j++) {
                    float a = x[offset + j], b = x[offset + j + half];
                    x[offset + j] = a + b;
                    x[offset + j + half] = a - b;
                }
            }
        }
        float scale = scale(n);
        for (int i = 0; i < n; i++) x[offset + i] *= scale;
    }

    static void transformVector(float[] x, int offset, int n) {
        int lanes = F.length();
        for (int half = 1; half < n; half <<= 1) {
            for (int block = 0; block < n; block += 2 * half) {
                int j = block;
                if (half >= lanes) {
                    for (; j < block + half; j += lanes) {
                        FloatVector a = FloatVector.fromArray(F, x, offset + j);
                        FloatVector b = FloatVector.fromArray(F, x, offset + j + half);
                        a.add(b).intoArray(x, offset + j);
                        a.sub(b).intoArray(x, offset + j + half);
                    }
                }
                for (; j < block + half; j++) {
                    float a = x[offset + j], b = x[offset + j + half];
                    x[offset + j] = a + b;
                    x[offset + j + half] = a - b;
                }
            }
        }
        float scale = scale(n);
        int i = 0;
        for (; i + lanes <= n; i += lanes) FloatVector.fromArray(F, x, offset + i).mul(scale).intoArray(x, offset + i);
        for (; i < n; i++) x[offset + i] *= scale;
    }

    private static float scale(int n) {
        return (float) (1.0 / Math.sqrt(n));
    }

    /** The explicit matrix {@code H[i][j] = (−1)^popcount(i & j) / √n}, in double: the test oracle. */
    public static double[][] matrix(int n) {
        if (!isPowerOfTwo(n)) throw new IllegalArgumentException("Hadamard: size must be a power of two, got " + n);
        double[][] h = new double[n][n];
        double s = 1.0 / Math.sqrt(n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) h[i][j] = (Integer.bitCount(i & j) % 2 == 0) ? s : -s;
        }
        return h;
    }

    private static void check(float[] x, int offset, int n) {
        if (!isPowerOfTwo(n)) {
            throw new IllegalArgumentException("Hadamard: size must be a power of two, got " + n
                    + ". HINT: the rotation needs head_dim to be a power of two; run with --kv-rotation off");
        }
        if (offset < 0 || offset + n > x.length) {
            throw new IllegalArgumentException("Hadamard: [" + offset + ", " + (offset + n) + ") outside an array of " + x.length);
        }
    }
}
