package dev.akvq.quant;

import dev.akvq.tensor.VectorWidth;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Which form of each quant kernel runs: the Vector API form unless {@code -Dakvq.vector=false}
 * (the same switch as tensor/'s kernels), which forces the scalar twins. Tests reach both forms
 * package-privately and need no switch. The width is tensor/'s {@link VectorWidth#SHAPE} (the
 * preferred one unless {@code -Dakvq.vector.bits} names a narrower one).
 */
final class QuantKernelMode {
    private QuantKernelMode() {}

    static final boolean VECTOR = !"false".equalsIgnoreCase(System.getProperty("akvq.vector", "true"));

    static final VectorSpecies<Float> FLOAT = VectorSpecies.of(float.class, VectorWidth.SHAPE);

    /** Byte lanes as many as {@link #FLOAT}'s: one byte of packed codes widens to one float lane. */
    static final VectorSpecies<Byte> BYTE_FOR_FLOAT = FLOAT.length() * 8 >= 64
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOAT.length() * 8)) : null;

    /** Whether the code kernels have a vector form on this CPU (4-lane float shapes have no 32-bit byte shape). */
    static final boolean CODE_VECTORS = VECTOR && BYTE_FOR_FLOAT != null;
}
