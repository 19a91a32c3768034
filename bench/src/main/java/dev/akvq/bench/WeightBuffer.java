package dev.akvq.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * One large off-heap buffer that the memory-bound benchmarks rotate through, so each call reads
 * weights that are not in any cache. The size (default 2.5 GiB, {@code -Dakvq.bench.bufferMiB})
 * exceeds four times the last-level cache this machine's {@code getconf LEVEL3_CACHE_SIZE} reports
 * (508 MiB on the EPYC VM used for RESULTS.md; the per-CCD L3 a core actually sees is smaller).
 * Filled with BF16 values of unit scale (a random 1 MiB block repeated): no NaN or subnormal that
 * could change the arithmetic's speed.
 */
final class WeightBuffer implements AutoCloseable {
    static final long DEFAULT_BYTES = Long.getLong("akvq.bench.bufferMiB", 2560L) << 20;

    final Arena arena = Arena.ofShared();
    final MemorySegment data;

    WeightBuffer(long bytes) {
        data = arena.allocate(bytes, 64);
        int block = 1 << 20;
        MemorySegment pattern = Arena.global().allocate(block, 64);
        SplittableRandom random = new SplittableRandom(42);
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < block / 2; i++) {
            float v = (float) (2 * random.nextDouble() - 1) * 0.05f;
            pattern.setAtIndex(u16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        for (long off = 0; off < bytes; off += block) {
            MemorySegment.copy(pattern, 0, data, off, Math.min(block, bytes - off));
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
