package dev.akvq.tensor;

import jdk.incubator.vector.VectorShape;

/**
 * The vector shape every kernel's vector form uses: the CPU's preferred one (512 bits with
 * AVX-512, 256 with AVX2, 128 with NEON), or a narrower one named by
 * {@code -Dakvq.vector.bits=128|256}, so the AVX2 and NEON code paths run, and are tested, on a
 * wider machine. Read once, at class initialisation: the kernels hold their species in static
 * finals ({@code KernelMode}, quant's {@code QuantKernelMode}) so the JIT folds them.
 */
public final class VectorWidth {
    private VectorWidth() {}

    public static final String PROPERTY = "akvq.vector.bits";

    /** The shape the kernels use in this JVM. */
    public static final VectorShape SHAPE = shape(System.getProperty(PROPERTY));

    /**
     * The shape {@code bits} names: the preferred one when null or empty, else 128, 256 or 512 bits
     * if this CPU has vectors that wide; an error naming the property and what this CPU allows otherwise.
     */
    public static VectorShape shape(String bits) {
        VectorShape preferred = VectorShape.preferredShape();
        if (bits == null || bits.isBlank()) return preferred;
        int n = switch (bits.strip()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + bits + ": expected 128, 256 or 512 (bits per vector)");
        };
        if (n > preferred.vectorBitSize()) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + n + ": this CPU's widest vectors are "
                    + preferred.vectorBitSize() + " bits; use " + preferred.vectorBitSize() + " or less");
        }
        return VectorShape.forBitSize(n);
    }
}
