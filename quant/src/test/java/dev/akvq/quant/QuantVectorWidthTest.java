package dev.akvq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/**
 * The code kernels run at the width this test run names (quant/'s pom reruns their properties at
 * 256 and 128 bits and names the width again in {@code akvq.test.vector.bits}): a run that lost its
 * {@code -Dakvq.vector.bits} fails here instead of testing the preferred width twice.
 */
class QuantVectorWidthTest {

    @Test
    void codeKernelsRunAtTheWidthThisTestRunNames() {
        int expected = Integer.getInteger("akvq.test.vector.bits", VectorShape.preferredShape().vectorBitSize());
        assertEquals(expected, QuantKernelMode.FLOAT.vectorBitSize());
        if (expected >= 256) {
            // One byte of codes per float lane: 8 float lanes read 64 bits of codes.
            assertEquals(QuantKernelMode.FLOAT.length(), QuantKernelMode.BYTE_FOR_FLOAT.length());
            assertEquals(QuantKernelMode.VECTOR, QuantKernelMode.CODE_VECTORS);
        } else {
            // 4 float lanes would read 32 bits of codes, a shape the Vector API lacks: the scalar twins run.
            assertNull(QuantKernelMode.BYTE_FOR_FLOAT);
            assertEquals(false, QuantKernelMode.CODE_VECTORS);
        }
    }
}
