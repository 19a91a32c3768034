package dev.akvq.quant;

/**
 * Where a run of packed rows sits, for {@link PackedCodes}' run kernels: {@code tokens} rows, each
 * one group of {@code n} codes of {@code bits} bits ({@link GroupQuantizer}'s planar layout),
 * {@code rowStride} bytes apart from {@code codes[offset]}, and row {@code t}'s zero point
 * {@code zeros[zeroOffset + t·zeroStride]} (or {@code zero} for every row when {@code zeros} is null).
 */
public record PackedRun(byte[] codes, int offset, int rowStride, int tokens, int n, int bits,
                        byte[] zeros, int zeroOffset, int zeroStride, int zero) {
    public PackedRun {
        if (bits != 2 && bits != 4) throw new IllegalArgumentException("PackedRun: bits must be 2 or 4, got " + bits);
        if (tokens < 0 || n < 1 || n % (8 / bits) != 0 || offset < 0 || rowStride < 0) {
            throw new IllegalArgumentException("PackedRun: " + tokens + " rows of " + n + " codes of " + bits + " bits from byte "
                    + offset + ", " + rowStride + " bytes apart");
        }
    }

    /** Rows with their own zero points, {@code zeroStride} bytes apart from {@code zeros[zeroOffset]}. */
    public static PackedRun withZeros(byte[] codes, int offset, int rowStride, int tokens, int n, int bits, byte[] zeros,
                                      int zeroOffset, int zeroStride) {
        return new PackedRun(codes, offset, rowStride, tokens, n, bits, zeros, zeroOffset, zeroStride, 0);
    }

    /** Rows sharing one zero point (KIVI's keys fold theirs into the query instead: zero 0). */
    public static PackedRun withZero(byte[] codes, int offset, int rowStride, int tokens, int n, int bits, int zero) {
        return new PackedRun(codes, offset, rowStride, tokens, n, bits, null, 0, 0, zero);
    }
}
