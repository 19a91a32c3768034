package dev.akvq.quant.kv;

import dev.akvq.quant.HeadRows;
import dev.akvq.quant.KiviQuantizer;
import dev.akvq.quant.NarrowCodes;
import dev.akvq.quant.NarrowRow;
import dev.akvq.quant.PackedCodes;
import dev.akvq.quant.PackedRun;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.MultiQueryRows;
import dev.akvq.tensor.Softmax;
import dev.akvq.tensor.ThreadScratch;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * KIVI (Liu et al., 2024) in the same attention loop, at 2 or 4 bits: keys quantized per channel (a
 * group is one channel over a block of {@code group} tokens, 32 in KIVI), values per token (groups
 * of {@code group} channels), and a full-precision residual, following the paper's code (jy-yuan/KIVI at commit
 * 04eeae0657316ae2adafa97101408e433b588d52, models/llama_kivi.py, LlamaAttention_KIVI.forward):
 * <ul>
 *   <li>prefill: keys of the first {@code n − n mod R} tokens are quantized (in blocks of 32), the
 *       rest stay in the key residual; values of all but the last {@code R} tokens are quantized;</li>
 *   <li>decode: the new key joins the residual and, once the residual holds {@code R} tokens, all
 *       of them are quantized (R/32 blocks) after that step's attention; the new value joins the
 *       last-{@code R} window and the oldest one leaves it quantized, also after the attention.</li>
 * </ul>
 * {@code R} = 128 by default (KIVI's residual length). The quantizer is KIVI's own
 * ({@link KiviQuantizer}: FP16 minimum and FP16 scale per group, 32 bits of metadata a group, the
 * scale rounded to nearest). Rows in the residual are FP16, as in KIVI's FP16 model.
 *
 * <p>Attention from the codes: a key logit is {@code Σ_c (q_c s_bc) code_c + Σ_c q_c m_bc} per block
 * {@code b}; a value adds {@code p s_tg · code} to its group's channels and {@code p m_tg} to each of
 * them. Its twin is {@link ReferenceAttention} over the decoded rows, in double.
 */
public final class KiviKeyValueStore implements KeyValueStore {
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int kvHeads, headDim, valueGroup, valueGroups, residual, valueGroupBytes, valueRowBytes, bits;
    /** Tokens per key block (KIVI's group size along tokens). */
    private final int keyBlock;
    private final KiviQuantizer quantizer;
    private final boolean prefillQuantized;

    /** Quantized keys [0, keyQuantized): per head, token rows of packed codes; per block and channel, FP16 scale and minimum. */
    private final ChannelKeyBlocks keys;
    /** Quantized values [0, valueQuantized): per head, token rows of packed codes; per token and group, FP16 scale and minimum. */
    private byte[][] valueCodes;
    private short[][] valueScales, valueMins;
    /**
     * FP16 rows: keys [keyQuantized, length) and values [valueQuantized, length), per head, indexed by
     * token mod capacity; off-heap {@code [capacity, headDim]} matrices, read by {@link MultiQueryRows}.
     */
    private final MatrixView[] keyRows, valueRows;
    /** Where {@link #keyRows} and {@link #valueRows} live (their capacity is fixed). */
    private final CacheMemory residualMemory = new CacheMemory(this);
    private final int rowCapacity;
    private int length, keyQuantized, valueQuantized, promptLength = -1;
    private DenseKeyValueStore prefillRows;
    private float[][] promptKeys, promptValues;

    /**
     * @param group    tokens per key block and channels per value group (KIVI: 32; at most head_dim for values)
     * @param residual FP16 residual length R, a multiple of {@code group} (KIVI: 128)
     */
    public KiviKeyValueStore(int kvHeads, int headDim, int bits, int group, int residual, boolean prefillQuantized) {
        int valueGroup = Math.min(group, headDim);
        if (kvHeads < 1 || group < 1 || headDim % 4 != 0 || headDim % valueGroup != 0 || valueGroup % 4 != 0
                || residual % group != 0 || residual < group) {
            throw new IllegalArgumentException("KiviKeyValueStore: kvHeads " + kvHeads + ", headDim " + headDim + ", group "
                    + group + ", residual " + residual + " (head_dim and the value group min(group, head_dim) must be multiples"
                    + " of 4, the value group must divide head_dim, the residual must be a positive multiple of the group)");
        }
        this.keyBlock = group;
        this.bits = bits;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.valueGroup = valueGroup;
        this.valueGroups = headDim / valueGroup;
        this.residual = residual;
        this.quantizer = new KiviQuantizer(bits);
        this.prefillQuantized = prefillQuantized;
        this.keys = new ChannelKeyBlocks(quantizer, kvHeads, headDim, group);
        this.valueGroupBytes = quantizer.packedBytes(valueGroup);
        this.valueRowBytes = valueGroups * valueGroupBytes;
        this.rowCapacity = residual + 1;
        valueCodes = new byte[kvHeads][0];
        valueMins = new short[kvHeads][0];
        valueScales = new short[kvHeads][0];
        keyRows = new MatrixView[kvHeads];
        valueRows = new MatrixView[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            keyRows[h] = new MatrixView(DType.F16, rowCapacity, headDim, residualMemory.allocate((long) rowCapacity * headDim * 2));
            valueRows[h] = new MatrixView(DType.F16, rowCapacity, headDim, residualMemory.allocate((long) rowCapacity * headDim * 2));
        }
    }

    @Override
    public void close() {
        residualMemory.close();
        freePrefillRows();
    }

    /** The prompt's F32 copy goes as soon as the prompt's attention is done, not when the GC runs. */
    private void freePrefillRows() {
        if (prefillRows != null) prefillRows.close();
        prefillRows = null;
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
    public void beginPrefill(float[] residualStream, int tokens, int hidden) {
        if (length != 0) throw new IllegalStateException("beginPrefill: the store already holds " + length + " tokens");
        promptLength = tokens;
        promptKeys = new float[tokens][];
        promptValues = new float[tokens][];
        prefillRows = prefillQuantized ? null : new DenseKeyValueStore(DType.F32, kvHeads, headDim);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        int width = kvHeads * headDim;
        if (promptLength >= 0 && length < promptLength) {
            if (prefillRows != null) prefillRows.append(keys, keysOffset, values, valuesOffset, token);
            promptKeys[length] = Arrays.copyOfRange(keys, keysOffset, keysOffset + width);
            promptValues[length] = Arrays.copyOfRange(values, valuesOffset, valuesOffset + width);
            length++;
            if (length == promptLength && prefillQuantized) compressPrompt();
            return;
        }
        // The previous step's deferred quantization (KIVI quantizes after the step's attention).
        if (length - keyQuantized == residual) quantizeKeys(length);
        while (length - valueQuantized > residual) quantizeOldestValue();
        writeRow(keyRows, length, keys, keysOffset);
        writeRow(valueRows, length, values, valuesOffset);
        length++;
    }

    @Override
    public void endPrefill() {
        if (promptLength >= 0 && promptKeys != null) compressPrompt();
        freePrefillRows();
        promptLength = -1;
    }

    /** Prefill's split: keys of the first n − n mod R tokens and values of all but the last R quantized. */
    private void compressPrompt() {
        int n = length;
        for (int t = 0; t < n; t++) {
            writeRow(keyRows, t, promptKeys[t], 0);
            writeRow(valueRows, t, promptValues[t], 0);
        }
        int keysTo = n - n % residual, valuesTo = Math.max(0, n - residual);
        for (int b = 0; b < keysTo; b += keyBlock) keys.quantizeBlock(b, promptKeys, b);
        keyQuantized = keysTo;
        growValues(valuesTo);
        for (int t = 0; t < valuesTo; t++) quantizeValue(t, promptValues[t], 0);
        valueQuantized = valuesTo;
        promptKeys = promptValues = null;
    }

    private void writeRow(MatrixView[] rows, int t, float[] source, int offset) {
        long at = (long) (t % rowCapacity) * headDim;
        for (int h = 0; h < kvHeads; h++) {
            for (int i = 0; i < headDim; i++) rows[h].data().setAtIndex(F16_LE, at + i, Float.floatToFloat16(source[offset + h * headDim + i]));
        }
    }

    private float[] widenRow(MatrixView[] rows, int t) {
        float[] out = new float[kvHeads * headDim];
        for (int h = 0; h < kvHeads; h++) rows[h].copyRow(t % rowCapacity, out, h * headDim);
        return out;
    }

    /** The residual's keys [keyQuantized, to), R of them, quantized block by block from their FP16 rows. */
    private void quantizeKeys(int to) {
        float[][] rows = new float[to - keyQuantized][];
        for (int t = keyQuantized; t < to; t++) rows[t - keyQuantized] = widenRow(keyRows, t);
        for (int b = keyQuantized; b < to; b += keyBlock) keys.quantizeBlock(b, rows, b - keyQuantized);
        keyQuantized = to;
    }

    private void quantizeOldestValue() {
        int t = valueQuantized;
        growValues(t + 1);
        quantizeValue(t, widenRow(valueRows, t), 0);
        valueQuantized = t + 1;
    }

    private void quantizeValue(int t, float[] row, int offset) {
        for (int h = 0; h < kvHeads; h++) {
            for (int g = 0; g < valueGroups; g++) {
                int p = quantizer.encode(row, offset + h * headDim + g * valueGroup, valueGroup, valueCodes[h],
                        t * valueRowBytes + g * valueGroupBytes);
                valueScales[h][t * valueGroups + g] = KiviQuantizer.scaleBits(p);
                valueMins[h][t * valueGroups + g] = KiviQuantizer.minimumBits(p);
            }
        }
    }

    private void growValues(int tokens) {
        if (valueCodes[0].length >= tokens * valueRowBytes) return;
        int capacity = Math.max(Math.max(tokens, 16), 2 * valueCodes[0].length / valueRowBytes);
        for (int h = 0; h < kvHeads; h++) {
            valueCodes[h] = Arrays.copyOf(valueCodes[h], capacity * valueRowBytes);
            valueScales[h] = Arrays.copyOf(valueScales[h], capacity * valueGroups);
            valueMins[h] = Arrays.copyOf(valueMins[h], capacity * valueGroups);
        }
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        attendGroup(query, queryOffset, 1, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    /**
     * Every query head of one KV head in one pass: each token's key and value codes (or FP16 rows)
     * are read and unpacked once for all {@code queryHeads}; a head's arithmetic does not depend on
     * the group size, so {@link #attend} (a group of one) gives each head the same bits.
     */
    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        KeyValueStore.checkRange(from, to, length);
        KeyValueStore.checkGroup(queryHeads, from, to, probabilities);
        if (prefillRows != null) {
            prefillRows.attendGroup(queries, queryOffset, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
            return;
        }
        int n = to - from, heads = queryHeads;
        // Quantized keys, block by block: w_c = q_c s_bc, logit = Σ w_c code_c + Σ q_c m_bc.
        int quantizedTo = Math.min(to, keyQuantized);
        if (from < quantizedTo) {
            keys.logits(kvHead, from, quantizedTo, queries, queryOffset, heads, probabilities, 0, n);
            for (int h = 0; h < heads; h++) {
                for (int t = from; t < quantizedTo; t++) probabilities[h * n + t - from] *= scale;
            }
        }
        for (int t = Math.max(from, keyQuantized); t < to; t++) {
            MultiQueryRows.dots(keyRows[kvHead], t % rowCapacity, queries, queryOffset, headDim, heads, probabilities, t - from, n);
            for (int h = 0; h < heads; h++) probabilities[h * n + t - from] *= scale;
        }
        for (int h = 0; h < heads; h++) Softmax.inPlace(probabilities, h * n, n);
        float[] acc = SCRATCH.zeroed(0, heads * headDim);
        accumulateQuantizedValues(kvHead, from, Math.min(to, valueQuantized), probabilities, n, heads, acc);
        for (int t = Math.max(from, valueQuantized); t < to; t++) {
            MultiQueryRows.accumulate(valueRows[kvHead], t % rowCapacity, probabilities, t - from, n, heads, acc, 0, headDim);
        }
        System.arraycopy(acc, 0, out, outOffset, heads * headDim);
    }

    /** Per thread: attendGroup's sums and accumulateQuantizedValues' factors, zeroed as fresh arrays were. */
    private static final ThreadScratch SCRATCH = new ThreadScratch(6);

    /** Floats of padding after each head's per-group factors: the narrow kernel reads a whole vector from any group. */
    private static final int LANE_PADDING = 64;

    /**
     * {@code acc_h += Σ_t p_h[t] v'(t)} over the quantized values {@code [from, to)}: per token and
     * group {@code a = p s} times the codes, and {@code Σ_t p m} added to every channel of the group.
     * Groups narrower than the vector lanes go whole rows at a time through the narrow-order kernel
     * and are put back in channel order once; wider groups go group by group.
     */
    private void accumulateQuantizedValues(int kvHead, int from, int to, float[] probabilities, int n, int heads, float[] acc) {
        if (from >= to) return;
        int aStride = valueGroups + LANE_PADDING;
        float[] a = SCRATCH.zeroed(1, heads * aStride), zeros = SCRATCH.zeroed(2, aStride), perHead = SCRATCH.get(3, heads);
        float[] minSums = SCRATCH.zeroed(4, heads * valueGroups);
        boolean narrow = NarrowCodes.narrowRows(valueGroup, bits, valueRowBytes);
        float[] sums = narrow ? SCRATCH.zeroed(5, heads * headDim) : acc;
        for (int t = from; t < to; t++) {
            for (int g = 0; g < valueGroups; g++) {
                float s = Float.float16ToFloat(valueScales[kvHead][t * valueGroups + g]);
                float m = Float.float16ToFloat(valueMins[kvHead][t * valueGroups + g]);
                for (int h = 0; h < heads; h++) {
                    float p = probabilities[h * n + t - from];
                    a[h * aStride + g] = p * s;
                    minSums[h * valueGroups + g] += p * m;
                }
            }
            if (narrow) {
                NarrowCodes.accumulateNarrow(HeadRows.of(a, 0, aStride, heads),
                        new NarrowRow(valueCodes[kvHead], t * valueRowBytes, valueRowBytes, valueGroup, bits, zeros, 0), HeadRows.of(sums, 0, headDim, heads));
            } else {
                for (int g = 0; g < valueGroups; g++) {
                    for (int h = 0; h < heads; h++) perHead[h] = a[h * aStride + g];
                    PackedCodes.accumulates(HeadRows.of(perHead, 0, 1, heads),
                            PackedRun.withZero(valueCodes[kvHead], t * valueRowBytes + g * valueGroupBytes, 0, 1, valueGroup, bits, 0),
                            HeadRows.of(sums, g * valueGroup, headDim, heads));
                }
            }
        }
        if (narrow) {
            for (int h = 0; h < heads; h++) NarrowCodes.narrowToChannels(sums, h * headDim, valueRowBytes, valueGroup, bits, acc, h * headDim);
        }
        for (int h = 0; h < heads; h++) {
            for (int c = 0; c < headDim; c++) acc[h * headDim + c] += minSums[h * valueGroups + c / valueGroup];
        }
    }

    /** One head's key of token {@code t} as attention sees it. */
    float key(int head, int t, int c) {
        if (promptKeys != null) return promptKeys[t][head * headDim + c];
        if (t >= keyQuantized) return keyRows[head].get(t % rowCapacity, c);
        return keys.key(head, t, c);
    }

    /** One head's value of token {@code t} as attention sees it. */
    float value(int head, int t, int c) {
        if (promptValues != null) return promptValues[t][head * headDim + c];
        if (t >= valueQuantized) return valueRows[head].get(t % rowCapacity, c);
        int g = c / valueGroup, gi = t * valueGroups + g;
        int code = quantizer.code(valueCodes[head], t * valueRowBytes + g * valueGroupBytes, valueGroup, c % valueGroup);
        return code * Float.float16ToFloat(valueScales[head][gi]) + Float.float16ToFloat(valueMins[head][gi]);
    }

    @Override
    public float[] keysForTrace() {
        float[] out = new float[kvHeads * length * headDim];
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < length; t++) for (int c = 0; c < headDim; c++) out[(h * length + t) * headDim + c] = key(h, t, c);
        }
        return out;
    }

    @Override
    public float[] valuesForTrace() {
        float[] out = new float[kvHeads * length * headDim];
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < length; t++) for (int c = 0; c < headDim; c++) out[(h * length + t) * headDim + c] = value(h, t, c);
        }
        return out;
    }

    /** The prompt reads an F32 copy of itself unless {@code prefillQuantized} asks for the codes. */
    @Override
    public java.util.Optional<DType> promptPrecision() {
        return prefillQuantized ? java.util.Optional.empty() : java.util.Optional.of(DType.F32);
    }

    @Override
    public long bytes() {
        return footprint().bytes();
    }

    @Override
    public KvFootprint footprint() {
        long h = kvHeads;
        long keyFull = length - keyQuantized, valueFull = length - valueQuantized;
        if (promptKeys != null) keyFull = valueFull = length;     // mid-prefill: nothing quantized yet
        // The "zeros" column holds KIVI's FP16 minima: 2 bytes a group, as the scales.
        return new KvFootprint(List.of(
                keys.footprint("int" + bits + " keys"),
                new KvFootprint.Segment("int" + bits + " values", valueQuantized, h * valueQuantized * valueRowBytes,
                        h * valueQuantized * valueGroups * 2, h * valueQuantized * valueGroups * 2, 0),
                new KvFootprint.Segment("fp16 keys", keyFull, 0, 0, 0, h * keyFull * headDim * 2),
                new KvFootprint.Segment("fp16 values", valueFull, 0, 0, 0, h * valueFull * headDim * 2)),
                2L * kvHeads * length * headDim);
    }
}
