package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/**
 * The kernels run at the width this test run names: tensor/'s pom reruns the kernel properties
 * with {@code -Dakvq.vector.bits=256} and {@code 128} and names the width again in
 * {@code akvq.test.vector.bits}, so an execution that lost its flag fails here instead of testing
 * the preferred width a second time.
 */
class VectorWidthTest {

    @Test
    void kernelsRunAtTheWidthThisTestRunNames() {
        int expected = Integer.getInteger("akvq.test.vector.bits", VectorShape.preferredShape().vectorBitSize());
        assertEquals(expected, KernelMode.FLOAT.vectorBitSize());
        assertEquals(expected, KernelMode.DOUBLE.vectorBitSize());
        assertEquals(expected, WeightLanes.F.vectorBitSize());
        // F2D/D2F conversions pair FLOAT_FOR_DOUBLE's lanes with DOUBLE's one to one.
        assertEquals(KernelMode.DOUBLE.length(), KernelMode.FLOAT_FOR_DOUBLE.length());
        assertEquals(expected / 2, KernelMode.FLOAT_FOR_DOUBLE.vectorBitSize());
    }

    @Test
    void theWidthIsThePreferredOneOrANarrowerOneTheCpuHas() {
        int preferred = VectorShape.preferredShape().vectorBitSize();
        assertEquals(preferred, VectorWidth.shape(null).vectorBitSize());
        assertEquals(preferred, VectorWidth.shape("").vectorBitSize());
        assertEquals(128, VectorWidth.shape("128").vectorBitSize());
        assertEquals("-Dakvq.vector.bits=1024: expected 128, 256 or 512 (bits per vector)",
                assertThrows(IllegalArgumentException.class, () -> VectorWidth.shape("1024")).getMessage());
        assertEquals("-Dakvq.vector.bits=wide: expected 128, 256 or 512 (bits per vector)",
                assertThrows(IllegalArgumentException.class, () -> VectorWidth.shape("wide")).getMessage());
        if (preferred < 512) {
            assertEquals("-Dakvq.vector.bits=512: this CPU's widest vectors are " + preferred + " bits; use " + preferred + " or less",
                    assertThrows(IllegalArgumentException.class, () -> VectorWidth.shape("512")).getMessage());
        }
    }
}
