package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.Softmax;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The AKVQ-VL cache of one layer (docs/akvq-vl.md, "Precision table", "Lifecycle" and "Storage"), and RTN-2 as its special
 * case (no window, no pivots, every token INT2). Each token sits in exactly one segment:
 * <ul>
 *   <li>FP16: the most recent {@code window} tokens, and the pivots of a PSA layer (for good);</li>
 *   <li>INT4 (clip4): text tokens of a TSA layer;</li>
 *   <li>INT2 (clip2): vision tokens of a TSA layer, every other token of a PSA layer.</li>
 * </ul>
 *
 * <p>Prefill: {@link #beginPrefill} finds the pivots from the residual stream (PSA layers) and
 * learns the prompt length, so each prompt token is written straight to its final segment,
 * quantized from its FP32 values; the prompt's own attention reads an FP32 copy unless
 * {@code prefillQuantized}, and {@link #endPrefill} drops that copy. Decode: the new token enters
 * the FP16 window; the token that leaves it is quantized (from its FP16 row) by its layer's rule.
 *
 * <p>{@link #attend} computes every logit from the segment the token sits in (codes read directly,
 * never dequantised into a buffer), one softmax over all of them, and one weighted sum of values.
 * Its twin is {@link ReferenceAttention}: every token dequantised, then plain attention in double.
 */
public final class MixedPrecisionKeyValueStore implements KeyValueStore {
    private static final byte HALF = 0, INT2 = 2, INT4 = 4;

    private final int kvHeads, headDim, window, pivots;
    private final LayerPattern pattern;
    private final PivotRule pivotRule;
    private final boolean prefillQuantized;
    private final HalfRows half;
    private final QuantizedRows int2, int4;

    /** Per token: its segment, its slot there, its modality; the pivot set of this request. */
    private byte[] kind = new byte[64];
    private int[] slot = new int[64];
    private boolean[] vision = new boolean[64];
    private BitSet pivotSet = new BitSet();
    private int length, promptLength = -1;
    private DenseKeyValueStore prefillRows;
    private final float[] rowK, rowV;

    public MixedPrecisionKeyValueStore(int kvHeads, int headDim, int group, LayerPattern pattern, int window, int pivots,
                                       PivotRule pivotRule, float clip2, float clip4, boolean prefillQuantized) {
        if (kvHeads < 1 || headDim < 1 || group < 1 || headDim % group != 0) {
            throw new IllegalArgumentException("MixedPrecisionKeyValueStore: kvHeads " + kvHeads + ", headDim " + headDim
                    + ", group " + group + " (the group must divide head_dim)");
        }
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.pattern = pattern;
        this.window = window;
        this.pivots = pivots;
        this.pivotRule = pivotRule;
        this.prefillQuantized = prefillQuantized;
        this.half = new HalfRows(kvHeads, headDim);
        this.int2 = new QuantizedRows(new GroupQuantizer(2, clip2), kvHeads, headDim, group);
        this.int4 = new QuantizedRows(new GroupQuantizer(4, clip4), kvHeads, headDim, group);
        this.rowK = new float[kvHeads * headDim];
        this.rowV = new float[kvHeads * headDim];
    }

    @Override
    public void close() {
        half.close();
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

    /** The pivot tokens of this request (empty outside PSA layers). */
    BitSet pivotTokens() {
        return (BitSet) pivotSet.clone();
    }

    @Override
    public void beginPrefill(float[] residual, int tokens, int hidden) {
        if (length != 0) throw new IllegalStateException("beginPrefill: the store already holds " + length + " tokens");
        promptLength = tokens;
        pivotSet = pattern == LayerPattern.PSA ? PivotDetector.find(residual, tokens, hidden, pivots, pivotRule) : new BitSet();
        prefillRows = prefillQuantized ? null : new DenseKeyValueStore(DType.F32, kvHeads, headDim);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        if (length == kind.length) {
            kind = Arrays.copyOf(kind, 2 * length);
            slot = Arrays.copyOf(slot, 2 * length);
            vision = Arrays.copyOf(vision, 2 * length);
        }
        int t = length++;
        vision[t] = token.modality() == Modality.VISION && !token.generated();
        boolean inPrompt = promptLength >= 0 && t < promptLength;
        if (inPrompt) {
            if (prefillRows != null) prefillRows.append(keys, keysOffset, values, valuesOffset, token);
            // Written once, straight to the segment it keeps: the window is the prompt's last tokens.
            boolean fp16 = t >= promptLength - window || pivotSet.get(t);
            store(t, fp16 ? HALF : quantizedKind(t), keys, keysOffset, values, valuesOffset);
            return;
        }
        // Decode: the newest token enters the window; the one that leaves it is quantized.
        if (window == 0) {
            store(t, quantizedKind(t), keys, keysOffset, values, valuesOffset);
            return;
        }
        store(t, HALF, keys, keysOffset, values, valuesOffset);
        int leaving = t - window;
        if (leaving >= 0 && kind[leaving] == HALF && !pivotSet.get(leaving)) {
            half.widen(slot[leaving], true, rowK, 0);
            half.widen(slot[leaving], false, rowV, 0);
            half.release(slot[leaving]);
            store(leaving, quantizedKind(leaving), rowK, 0, rowV, 0);
        }
    }

    /** The segment of a token outside the window and the pivots: the layer's rule. */
    private byte quantizedKind(int t) {
        return pattern == LayerPattern.TSA && !vision[t] ? INT4 : INT2;
    }

    private void store(int t, byte k, float[] keys, int keysOffset, float[] values, int valuesOffset) {
        kind[t] = k;
        slot[t] = switch (k) {
            case HALF -> half.add(keys, keysOffset, values, valuesOffset);
            case INT2 -> int2.add(keys, keysOffset, values, valuesOffset);
            default -> int4.add(keys, keysOffset, values, valuesOffset);
        };
    }

    @Override
    public void endPrefill() {
        freePrefillRows();
        promptLength = -1;
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        attendGroup(query, queryOffset, 1, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    /**
     * Every query head of one KV head in one pass: each token's codes (or FP16 row) are read and
     * unpacked once for all {@code queryHeads}; a head's arithmetic is the same whatever the group
     * size, so {@link #attend} (a group of one) gives each head the same bits.
     */
    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        check(kvHead, from, to);
        KeyValueStore.checkGroup(queryHeads, from, to, probabilities);
        if (prefillRows != null) {
            prefillRows.attendGroup(queries, queryOffset, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
            return;
        }
        int n = to - from;
        // Logits of every segment, straight from what each token is stored as: head h's at p[h·n + j − from];
        // quantized tokens in runs of consecutive slots of one segment.
        for (int j = from, end; j < to; j = end) {
            end = runEnd(j, to);
            if (kind[j] == HALF) half.dots(kvHead, slot[j], queries, queryOffset, queryHeads, probabilities, j - from, n);
            else segment(kind[j]).logits(kvHead, slot[j], end - j, queries, queryOffset, queryHeads, probabilities, j - from, n);
        }
        // One softmax per head over all of them.
        for (int h = 0; h < queryHeads; h++) {
            for (int j = h * n; j < (h + 1) * n; j++) probabilities[j] *= scale;
            Softmax.inPlace(probabilities, h * n, n);
        }
        // One weighted sum of values per head; quantized tokens in runs of consecutive slots of one segment.
        float[] acc = new float[queryHeads * headDim];
        for (int j = from, end; j < to; j = end) {
            end = runEnd(j, to);
            if (kind[j] == HALF) half.accumulate(kvHead, slot[j], probabilities, j - from, n, queryHeads, acc);
            else segment(kind[j]).accumulateRun(kvHead, slot[j], end - j, probabilities, j - from, n, queryHeads, acc);
        }
        System.arraycopy(acc, 0, out, outOffset, queryHeads * headDim);
    }

    /** The end of token {@code j}'s run below {@code to}: itself for an FP16 token, else the following tokens of its segment in consecutive slots. */
    private int runEnd(int j, int to) {
        int end = j + 1;
        if (kind[j] == HALF) return end;
        while (end < to && kind[end] == kind[j] && slot[end] == slot[j] + (end - j)) end++;
        return end;
    }

    private QuantizedRows segment(byte k) {
        return k == INT2 ? int2 : int4;
    }

    private void check(int kvHead, int from, int to) {
        KeyValueStore.checkRange(from, to, length);
        if (kvHead < 0 || kvHead >= kvHeads) throw new IllegalArgumentException("attend: KV head " + kvHead + " of " + kvHeads);
    }

    /** One head's key or value of token {@code t} as attention sees it. */
    private void row(int head, int t, boolean key, float[] out, int offset) {
        switch (kind[t]) {
            case HALF -> {
                for (int i = 0; i < headDim; i++) out[offset + i] = key ? half.key(head, slot[t], i) : half.value(head, slot[t], i);
            }
            case INT2 -> int2.decode(head, slot[t], key, out, offset);
            default -> int4.decode(head, slot[t], key, out, offset);
        }
    }

    @Override
    public float[] keysForTrace() {
        return trace(true);
    }

    @Override
    public float[] valuesForTrace() {
        return trace(false);
    }

    private float[] trace(boolean key) {
        float[] out = new float[kvHeads * length * headDim];
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < length; t++) row(h, t, key, out, (h * length + t) * headDim);
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
        int pivotTokens = 0, windowTokens = 0;
        for (int t = 0; t < length; t++) {
            if (kind[t] != HALF) continue;
            if (pivotSet.get(t)) pivotTokens++;
            else windowTokens++;
        }
        List<KvFootprint.Segment> segments = new ArrayList<>();
        segments.add(int2.footprint("int2"));
        segments.add(int4.footprint("int4"));
        segments.add(new KvFootprint.Segment("fp16 pivots", pivotTokens, 0, 0, 0, half.bytes(pivotTokens)));
        segments.add(new KvFootprint.Segment("fp16 window", windowTokens, 0, 0, 0, half.bytes(windowTokens)));
        return new KvFootprint(segments, 2L * kvHeads * length * headDim);
    }
}
