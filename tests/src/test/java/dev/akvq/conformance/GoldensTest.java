package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The comparison helper can fail: it rejects wrong answers, including an all-zero kernel. */
class GoldensTest {
    @Test
    void acceptsRoundingLevelDifferences() {
        assertNull(Goldens.mismatch(new float[] {1f, -2f, 0f}, new float[] {1.00001f, -2f, 1e-5f}, 1e-4));
    }

    @Test
    void rejectsWrongValuesZerosAndNaN() {
        float[] golden = {1f, -2f, 3f};
        assertNotNull(Goldens.mismatch(golden, new float[] {1f, -2f, 3.01f}, 1e-4));
        assertNotNull(Goldens.mismatch(golden, new float[3], 1e-4));
        assertNotNull(Goldens.mismatch(golden, new float[] {1f, Float.NaN, 3f}, 1e-4));
        assertNotNull(Goldens.mismatch(golden, new float[2], 1e-4));
    }
}
