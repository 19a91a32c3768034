package dev.akvq.tensor;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Which form of each kernel runs, and the vector shapes the vector forms use.
 *
 * <p>Every kernel in this package has a Vector API form and a plain scalar twin. The public entry
 * points pick the vector form unless the JVM was started with {@code -Dakvq.vector=false}, read
 * once here (as llama3.java's {@code USE_VECTOR_API} switch does), which forces every kernel onto
 * its scalar twin: useful to rule the Vector API in or out when numbers look wrong. Tests do not
 * need the switch: each kernel exposes both forms package-privately. The vector width is
 * {@link VectorWidth#SHAPE}: the CPU's preferred one unless {@code -Dakvq.vector.bits} names a
 * narrower one (the AVX2 and NEON widths, tested on a wider machine).
 */
final class KernelMode {
    private KernelMode() {}

    /** True unless {@code -Dakvq.vector=false}. */
    static final boolean VECTOR = !"false".equalsIgnoreCase(System.getProperty("akvq.vector", "true"));

    /** Float lanes of the widest shape the CPU runs well (16 with AVX-512, 8 with AVX2, 4 with NEON). */
    static final VectorSpecies<Float> FLOAT = VectorSpecies.of(float.class, VectorWidth.SHAPE);

    /**
     * Double lanes of the same shape, for the elementwise functions that evaluate in double and
     * round once (activations, softmax exponentials).
     */
    static final VectorSpecies<Double> DOUBLE = VectorSpecies.of(double.class, VectorWidth.SHAPE);

    /** Float lanes with as many lanes as {@link #DOUBLE}: F2D/D2F conversions pair them up. */
    static final VectorSpecies<Float> FLOAT_FOR_DOUBLE =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLE.vectorBitSize() / 2));
}
