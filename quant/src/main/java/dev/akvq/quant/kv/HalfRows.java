package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.MultiQueryRows;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * FP16 key and value rows per KV head (AKVQ-VL's pivots and recent window), in slots that are
 * reused once a token leaves the window. Values are rounded to nearest-even as torch's
 * {@code .half()} does. The rows live off-heap as {@code [capacity, headDim]} F16 matrices, as
 * {@link DenseKeyValueStore}'s do, so attention reads them with the same vector kernels
 * ({@link MultiQueryRows}: one load and widening of a row for every query head of the group).
 */
final class HalfRows {
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int kvHeads, headDim;
    /** Per KV head: the F16 rows of every slot. */
    private MatrixView[] keys, values;
    /** Where the rows live; replaced (and the old freed) when they grow. */
    private CacheMemory memory;
    private int capacity = 16, live;
    private int[] free = new int[16];
    private int freeCount, highWater;

    HalfRows(int kvHeads, int headDim) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.memory = new CacheMemory(this);
        keys = new MatrixView[kvHeads];
        values = new MatrixView[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = allocate(null);
            values[h] = allocate(null);
        }
    }

    /** A fresh {@code [capacity, headDim]} F16 matrix holding {@code old}'s rows (if any). */
    private MatrixView allocate(MatrixView old) {
        MemorySegment data = memory.allocate((long) capacity * headDim * 2);
        if (old != null) data.copyFrom(old.data());
        return new MatrixView(DType.F16, capacity, headDim, data);
    }

    /** Stores one token's rows ({@code [kvHeads * headDim]} each); returns its slot. */
    int add(float[] k, int kOffset, float[] v, int vOffset) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (highWater == capacity) grow();
            slot = highWater++;
        }
        for (int h = 0; h < kvHeads; h++) {
            long at = (long) slot * headDim;
            for (int i = 0; i < headDim; i++) {
                keys[h].data().setAtIndex(F16_LE, at + i, Float.floatToFloat16(k[kOffset + h * headDim + i]));
                values[h].data().setAtIndex(F16_LE, at + i, Float.floatToFloat16(v[vOffset + h * headDim + i]));
            }
        }
        live++;
        return slot;
    }

    void release(int slot) {
        if (freeCount == free.length) free = Arrays.copyOf(free, 2 * free.length);
        free[freeCount++] = slot;
        live--;
    }

    private void grow() {
        capacity *= 2;
        CacheMemory old = memory;
        memory = new CacheMemory(this);
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = allocate(keys[h]);
            values[h] = allocate(values[h]);
        }
        old.close();
    }

    /** Frees the rows' memory (the store that owns them was closed). */
    void close() {
        memory.close();
    }

    /** {@code out[outOffset + g·outStride] = q_g · k(slot)} for the {@code heads} queries {@code headDim} apart from {@code qOffset}. */
    void dots(int head, int slot, float[] q, int qOffset, int heads, float[] out, int outOffset, int outStride) {
        MultiQueryRows.dots(keys[head], slot, q, qOffset, headDim, heads, out, outOffset, outStride);
    }

    /** {@code acc_g += p_g · v(slot)} for {@code g < heads}: {@code p[pOffset + g·pStride]}, {@code acc} rows {@code headDim} apart. */
    void accumulate(int head, int slot, float[] p, int pOffset, int pStride, int heads, float[] acc) {
        MultiQueryRows.accumulate(values[head], slot, p, pOffset, pStride, heads, acc, 0, headDim);
    }

    /** One head's key (or value) row of {@code slot}, widened, into {@code out} (both heads' K and V rows: [kvHeads*headDim]). */
    void widen(int slot, boolean key, float[] out, int outOffset) {
        for (int h = 0; h < kvHeads; h++) {
            (key ? keys[h] : values[h]).copyRow(slot, out, outOffset + h * headDim);
        }
    }

    float key(int head, int slot, int i) {
        return keys[head].get(slot, i);
    }

    float value(int head, int slot, int i) {
        return values[head].get(slot, i);
    }

    /** Bytes of the live rows of {@code tokens} tokens: K and V, every head, 2 bytes a value. */
    long bytes(long tokens) {
        return 2L * 2 * kvHeads * headDim * tokens;
    }

    int live() {
        return live;
    }
}
