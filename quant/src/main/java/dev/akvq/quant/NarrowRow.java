package dev.akvq.quant;

/**
 * One token's row of packed groups for {@link NarrowCodes}: {@code rowBytes} bytes from
 * {@code codes[offset]}, groups of {@code n} codes of {@code bits} bits ({@link GroupQuantizer}'s
 * planar layout), group {@code g}'s zero point {@code zeros[zeroOffset + g]} as a float.
 */
public record NarrowRow(byte[] codes, int offset, int rowBytes, int n, int bits, float[] zeros, int zeroOffset) {
    public NarrowRow {
        if (bits != 2 && bits != 4) throw new IllegalArgumentException("NarrowRow: bits must be 2 or 4, got " + bits);
        if (n < 1 || n % (8 / bits) != 0 || offset < 0 || zeroOffset < 0 || rowBytes < 0 || rowBytes % (n * bits / 8) != 0) {
            throw new IllegalArgumentException("NarrowRow: " + rowBytes + " bytes of groups of " + n + " codes of " + bits
                    + " bits from byte " + offset);
        }
    }
}
