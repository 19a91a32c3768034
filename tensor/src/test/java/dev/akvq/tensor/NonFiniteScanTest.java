package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The non-finite scan against an index found by decoding every element in double-free plain
 * Java: sizes below, at and above the lane counts and across several 64 KiB blocks, the corner
 * values of the JDK's Vector API tests (±0, MIN_VALUE, MAX_VALUE and their BF16/F16 forms,
 * which are finite) and every kind of non-finite value (±Inf, quiet and signalling NaNs with
 * payloads), one unaligned segment offset included.
 */
class NonFiniteScanTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int[] F32_FINITE = {0, 0x80000000, 1, 0x7F7FFFFF, 0xFF7FFFFF, 0x00800000, 0x3F800000};
    private static final int[] F32_NON_FINITE = {0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFFFFFFF, 0x7FBFFFFF};
    private static final short[] BF16_FINITE = {0, (short) 0x8000, 1, 0x7F7F, (short) 0xFF7F, 0x0080, 0x3F80};
    private static final short[] BF16_NON_FINITE = {0x7F80, (short) 0xFF80, 0x7FC0, 0x7F81, (short) 0xFFFF};
    private static final short[] F16_FINITE = {0, (short) 0x8000, 1, 0x7BFF, (short) 0xFBFF, 0x0400, 0x3C00};
    private static final short[] F16_NON_FINITE = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, (short) 0xFFFF};

    /** The index the scan must report: decode each element to F32 and test it. */
    private static long expected(MemorySegment data, DType dtype) {
        long n = data.byteSize() / dtype.size;
        for (long i = 0; i < n; i++) {
            float v = switch (dtype) {
                case F32 -> Float.intBitsToFloat(data.get(I32, 4 * i));
                case BF16 -> Float.intBitsToFloat((data.get(I16, 2 * i) & 0xFFFF) << 16);
                default -> Float.float16ToFloat(data.get(I16, 2 * i));
            };
            if (Float.isNaN(v) || Float.isInfinite(v)) return i;
        }
        return -1;
    }

    private static MemorySegment fill(Arena arena, DType dtype, int n, int offset, int bad, long seed) {
        Random r = new Random(seed);
        MemorySegment whole = arena.allocate((long) n * dtype.size + offset);
        MemorySegment data = whole.asSlice(offset, (long) n * dtype.size);
        for (int i = 0; i < n; i++) {
            if (dtype == DType.F32) {
                data.set(I32, 4L * i, r.nextInt(8) == 0 ? F32_FINITE[r.nextInt(F32_FINITE.length)] : Float.floatToIntBits((float) r.nextGaussian()));
            } else {
                short[] finite = dtype == DType.BF16 ? BF16_FINITE : F16_FINITE;
                short normal = dtype == DType.BF16 ? DType.f32ToBf16((float) r.nextGaussian()) : DType.f32ToF16((float) r.nextGaussian());
                data.set(I16, 2L * i, r.nextInt(8) == 0 ? finite[r.nextInt(finite.length)] : normal);
            }
        }
        for (int k = 0; k < bad && n > 0; k++) {
            int at = r.nextInt(n);
            if (dtype == DType.F32) data.set(I32, 4L * at, F32_NON_FINITE[r.nextInt(F32_NON_FINITE.length)]);
            else {
                short[] nonFinite = dtype == DType.BF16 ? BF16_NON_FINITE : F16_NON_FINITE;
                data.set(I16, 2L * at, nonFinite[r.nextInt(nonFinite.length)]);
            }
        }
        return data;
    }

    @Test
    void vectorAndScalarFindTheFirstNonFiniteElement() {
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        qt().withExamples(Inputs.examples(400)).forAll(integers().between(0, 2), integers().between(0, 80_000), integers().between(0, 3), longs().all())
                .checkAssert((d, size, bad, seed) -> {
                    int n = seed % 3 == 0 ? size % 70 : size;   // many small sizes around the lane counts
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment data = fill(arena, dtypes[d], n, (int) Math.floorMod(seed, 3L), bad, seed);
                        long want = expected(data, dtypes[d]);
                        assertEquals(want, NonFiniteScan.vector(data, dtypes[d]), dtypes[d] + " n=" + n + " vector");
                        assertEquals(want, NonFiniteScan.scalar(data, dtypes[d]), dtypes[d] + " n=" + n + " scalar");
                    }
                });
    }

    @Test
    void aSingleBadValueIsFoundAtEveryPositionOfABlockBoundary() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 32768 + 40;   // 64 KiB of BF16 and a tail
            MemorySegment data = fill(arena, DType.BF16, n, 0, 0, 5);
            assertEquals(-1, NonFiniteScan.vector(data, DType.BF16));
            for (int at : new int[] {0, 1, 15, 16, 32767, 32768, n - 1}) {
                short kept = data.get(I16, 2L * at);
                data.set(I16, 2L * at, (short) 0x7F80);
                assertEquals(at, NonFiniteScan.vector(data, DType.BF16), "at " + at);
                data.set(I16, 2L * at, kept);
            }
        }
    }

    @Test
    void floatArraysReportTheFirstNonFiniteValue() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, 100), integers().between(-1, 99), longs().all()).checkAssert((n, at, seed) -> {
            Random r = new Random(seed);
            float[] a = new float[n + 3];
            for (int i = 0; i < a.length; i++) a[i] = r.nextInt(10) == 0 ? Float.MAX_VALUE : (float) r.nextGaussian();
            float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7F800001)};
            if (at >= 0 && at < n) a[3 + at] = bad[r.nextInt(bad.length)];
            int want = at >= 0 && at < n ? at : -1;
            assertEquals(want, NonFiniteScan.firstIndex(a, 3, n));
        });
    }
}
