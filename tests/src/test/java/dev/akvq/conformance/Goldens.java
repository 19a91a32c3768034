package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import java.util.Arrays;

/**
 * Tensor-by-tensor comparison with a reference dump, as transformers' integration tests and
 * llm.c's test do: the largest difference relative to the golden's max |value| must stay within
 * the fixtures' tolerance (1e-4), and the failure message names the tensor, the worst index and
 * both values.
 */
final class Goldens {
    /** The fixtures README's tolerance for a float32 engine: 1e-4 of the tensor's max |value|. */
    static final double RELATIVE = 1e-4;

    private Goldens() {}

    /** Compares {@code actual} with {@code golden} element for element (same shape). */
    static void assertClose(String name, WeightTensor golden, WeightTensor actual) {
        assertArrayEquals(golden.shape(), actual.shape(), name + ": shape");
        assertClose(name, golden.toFloatArray(), actual.toFloatArray());
    }

    static void assertClose(String name, float[] golden, float[] actual) {
        String problem = mismatch(golden, actual, RELATIVE);
        if (problem != null) fail(name + ": " + problem);
    }

    /** Null when every element is within {@code relative · max|golden|}; else the worst element. */
    static String mismatch(float[] golden, float[] actual, double relative) {
        if (golden.length != actual.length) return "length " + actual.length + ", expected " + golden.length;
        double scale = 0;
        for (float g : golden) scale = Math.max(scale, Math.abs(g));
        if (scale == 0) scale = 1;   // an all-zero golden: compare absolutely
        int worst = -1;
        double worstDiff = 0;
        for (int i = 0; i < golden.length; i++) {
            double d = Math.abs((double) golden[i] - actual[i]);
            if (!(d <= worstDiff) || Double.isNaN(actual[i])) {
                worst = i;
                worstDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        if (worstDiff <= relative * scale) return null;
        return String.format("max |diff| %.3g at index %d (golden %s, ours %s) exceeds %.1g x max|golden| %.4g",
                worstDiff, worst, golden[worst], actual[worst], relative, scale);
    }

    static void assertSameIds(String name, WeightTensor golden, WeightTensor actual) {
        assertArrayEquals(golden.shape(), actual.shape(), name + ": shape");
        assertArrayEquals(golden.toLongArray(), actual.toLongArray(), name + ": " + Arrays.toString(golden.toLongArray()));
    }

    static WeightTensor require(SafetensorsFile file, String name) {
        return file.require(name);
    }
}
