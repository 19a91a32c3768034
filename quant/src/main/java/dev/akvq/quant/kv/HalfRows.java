package dev.akvq.quant.kv;

import java.util.Arrays;

/**
 * FP16 key and value rows per KV head (AKVQ-VL's pivots and recent window), in slots that are
 * reused once a token leaves the window. Values are rounded to nearest-even as torch's
 * {@code .half()} does.
 */
final class HalfRows {
    private final int kvHeads, headDim;
    private short[][] keys, values;
    private int capacity = 16, live;
    private int[] free = new int[16];
    private int freeCount, highWater;

    HalfRows(int kvHeads, int headDim) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        keys = new short[kvHeads][capacity * headDim];
        values = new short[kvHeads][capacity * headDim];
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
            for (int i = 0; i < headDim; i++) {
                keys[h][slot * headDim + i] = Float.floatToFloat16(k[kOffset + h * headDim + i]);
                values[h][slot * headDim + i] = Float.floatToFloat16(v[vOffset + h * headDim + i]);
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
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = Arrays.copyOf(keys[h], capacity * headDim);
            values[h] = Arrays.copyOf(values[h], capacity * headDim);
        }
    }

    float dot(int head, int slot, float[] q, int qOffset) {
        short[] row = keys[head];
        int base = slot * headDim;
        float sum = 0;
        for (int i = 0; i < headDim; i++) sum += q[qOffset + i] * Float.float16ToFloat(row[base + i]);
        return sum;
    }

    void accumulate(int head, int slot, float p, float[] acc) {
        short[] row = values[head];
        int base = slot * headDim;
        for (int i = 0; i < headDim; i++) acc[i] += p * Float.float16ToFloat(row[base + i]);
    }

    /** One head's key (or value) row of {@code slot}, widened, into {@code out} (both heads' K and V rows: [kvHeads*headDim]). */
    void widen(int slot, boolean key, float[] out, int outOffset) {
        for (int h = 0; h < kvHeads; h++) {
            short[] rows = key ? keys[h] : values[h];
            for (int i = 0; i < headDim; i++) out[outOffset + h * headDim + i] = Float.float16ToFloat(rows[slot * headDim + i]);
        }
    }

    float key(int head, int slot, int i) {
        return Float.float16ToFloat(keys[head][slot * headDim + i]);
    }

    float value(int head, int slot, int i) {
        return Float.float16ToFloat(values[head][slot * headDim + i]);
    }

    /** Bytes of the live rows of {@code tokens} tokens: K and V, every head, 2 bytes a value. */
    long bytes(long tokens) {
        return 2L * 2 * kvHeads * headDim * tokens;
    }

    int live() {
        return live;
    }
}
