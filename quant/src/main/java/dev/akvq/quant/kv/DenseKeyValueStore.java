package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixVector;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.MultiQueryRows;
import dev.akvq.tensor.Scale;
import dev.akvq.tensor.Softmax;
import dev.akvq.tensor.WeightedRowSum;
import dev.akvq.tensor.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The unquantized baselines: every key and value kept as F32 (the reference) or rounded to F16
 * (round-to-nearest-even, as torch's {@code .half()}). Rows are stored per KV head, token after
 * token, so the keys of one head form a {@code [length, headDim]} matrix that the matrix-vector
 * kernel scores against the query directly.
 *
 * <p>The rows live off-heap, like the mapped weights: the Vector API's segment loads are compiled
 * to plain vector loads only while every segment a kernel sees is of one kind, and the same
 * kernels read mapped weights, so heap-backed cache rows would push both onto a slow path.
 */
public final class DenseKeyValueStore implements KeyValueStore {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final int kvHeads, headDim, rowBytes;
    /** Per KV head: {@code [capacity, headDim]} rows of {@code dtype}, little-endian, off-heap. */
    private final MemorySegment[] keys, values;
    /** Where {@link #keys} and {@link #values} live; replaced (and the old freed) when they grow. */
    private CacheMemory memory = new CacheMemory(this);
    private long capacity = 16;
    private int length;
    /** The attention runs on the caller's thread; heads are what callers parallelise over. */
    private final WorkerPool serial = WorkerPool.create(1);

    /** @param dtype F32 or F16 */
    public DenseKeyValueStore(DType dtype, int kvHeads, int headDim) {
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("DenseKeyValueStore stores F32 or F16, not " + dtype);
        }
        if (kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("DenseKeyValueStore: kvHeads and headDim must be >= 1, got "
                    + kvHeads + ", " + headDim);
        }
        this.dtype = dtype;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.rowBytes = headDim * dtype.size;
        this.keys = new MemorySegment[kvHeads];
        this.values = new MemorySegment[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = allocate(capacity);
            values[h] = allocate(capacity);
        }
    }

    @Override
    public int kvHeads() {
        return kvHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void append(float[] k, int keysOffset, float[] v, int valuesOffset, CachedToken token) {
        if (length == capacity) grow();
        for (int h = 0; h < kvHeads; h++) {
            write(keys[h], k, keysOffset + h * headDim);
            write(values[h], v, valuesOffset + h * headDim);
        }
        length++;
    }

    private void write(MemorySegment rows, float[] source, int offset) {
        MemorySegment row = rows.asSlice((long) length * rowBytes, rowBytes);
        for (int i = 0; i < headDim; i++) {
            if (dtype == DType.F32) row.setAtIndex(F32_LE, i, source[offset + i]);
            else row.setAtIndex(F16_LE, i, DType.f32ToF16(source[offset + i]));
        }
    }

    /** Doubles the capacity; the old rows are copied and their memory freed at once. */
    private void grow() {
        capacity *= 2;
        CacheMemory old = memory;
        memory = new CacheMemory(this);
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = allocate(capacity).copyFrom(keys[h]);
            values[h] = allocate(capacity).copyFrom(values[h]);
        }
        old.close();
    }

    private MemorySegment allocate(long rows) {
        return memory.allocate(rows * rowBytes);
    }

    @Override
    public void close() {
        memory.close();
    }

    /** The prompt reads the rows as stored: F32, or rounded to F16. */
    @Override
    public Optional<DType> promptPrecision() {
        return Optional.of(dtype);
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        KeyValueStore.checkRange(from, to, length);
        int n = to - from;
        // Scores q·k_j, then scaled: eager attention's matmul(q, kᵀ) * scaling, in that order.
        MatrixVector.multiply(rows(keys[kvHead], from, to), query, queryOffset, probabilities, 0, serial);
        Scale.scale(probabilities, 0, n, scale);
        Softmax.inPlace(probabilities, 0, n);
        WeightedRowSum.sum(rows(values[kvHead], from, to), probabilities, 0, out, outOffset);
    }

    /**
     * All query heads of one KV head in one pass over its rows: each key and value row is loaded
     * (and widened from F16) once for every head. Bit for bit what {@link #attend} gives each head:
     * {@link MultiQueryRows} is the matrix-vector and weighted-row-sum arithmetic row by row.
     */
    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        KeyValueStore.checkRange(from, to, length);
        KeyValueStore.checkGroup(queryHeads, from, to, probabilities);
        int n = to - from;
        MatrixView k = rows(keys[kvHead], from, to), v = rows(values[kvHead], from, to);
        for (int j = 0; j < n; j++) MultiQueryRows.dots(k, j, queries, queryOffset, headDim, queryHeads, probabilities, j, n);
        for (int h = 0; h < queryHeads; h++) {
            Scale.scale(probabilities, h * n, n, scale);
            Softmax.inPlace(probabilities, h * n, n);
        }
        java.util.Arrays.fill(out, outOffset, outOffset + queryHeads * headDim, 0f);
        for (int j = 0; j < n; j++) MultiQueryRows.accumulate(v, j, probabilities, j, n, queryHeads, out, outOffset, headDim);
    }

    private MatrixView rows(MemorySegment head, int from, int to) {
        MemorySegment slice = head.asSlice((long) from * rowBytes, (long) (to - from) * rowBytes);
        return new MatrixView(dtype, to - from, headDim, slice);
    }

    @Override
    public float[] keysForTrace() {
        return widen(keys);
    }

    @Override
    public float[] valuesForTrace() {
        return widen(values);
    }

    private float[] widen(MemorySegment[] perHead) {
        float[] out = new float[kvHeads * length * headDim];
        for (int h = 0; h < kvHeads; h++) {
            if (length == 0) continue;
            MatrixView rows = rows(perHead[h], 0, length);
            for (int t = 0; t < length; t++) rows.copyRow(t, out, (h * length + t) * headDim);
        }
        return out;
    }

    @Override
    public long bytes() {
        return 2L * kvHeads * length * rowBytes;
    }

    @Override
    public KvFootprint footprint() {
        String name = dtype == DType.F32 ? "fp32 rows" : "fp16 rows";
        return new KvFootprint(java.util.List.of(new KvFootprint.Segment(name, length, 0, 0, 0, bytes())),
                2L * kvHeads * length * headDim);
    }
}
