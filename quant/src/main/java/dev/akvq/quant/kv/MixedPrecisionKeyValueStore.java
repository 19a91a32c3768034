package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.Softmax;
import dev.akvq.tensor.ThreadScratch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The store of every mode that gives each token exactly one form (docs/akvq-vl.md, "Precision table",
 * "Lifecycle" and "Storage"): AKVQ-VL, RTN-2 as its special case (no window, no pivots, every token
 * INT2), akvq-kc (AKVQ-VL's forms with keys quantized per channel), and the per-token baselines
 * (rtn4, sink, and the inner store of smoothquant and skvq). Each token sits in one segment:
 * <ul>
 *   <li>FP16: the most recent {@code window} tokens, and for good the pivots of a PSA layer (akvq)
 *       or the first {@code sink} tokens of the sequence (sink, skvq: attention sinks, StreamingLLM);</li>
 *   <li>the text segment (INT4, clip4): text tokens of a TSA layer (akvq only);</li>
 *   <li>the low segment (INT2 at clip2 for akvq; the one bit width of a per-token store): every
 *       other token.</li>
 * </ul>
 * A quantized segment is {@link QuantizedRows} (keys and values per token) or, for akvq-kc,
 * {@link ChannelKeyRows} (keys per channel over blocks of tokens, values per token).
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
    private static final byte HALF = 0, LOW = 1, TEXT = 2;

    private final int kvHeads, headDim, window, pivots, sink;
    private final LayerPattern pattern;
    private final PivotRule pivotRule;
    private final boolean prefillQuantized;
    private final HalfRows half;
    /** The segment of every quantized token but a TSA layer's text; the INT4 text segment (null in a per-token store). */
    private final QuantizedSegment low, text;
    /** The name of the tokens kept FP16 for good in {@link #footprint}: "fp16 pivots" or "fp16 sink". */
    private final String keptName;

    /** Per token: its segment, its slot there, its modality (only where the layer's rule reads it); the pivot set of this request. */
    private byte[] kind = new byte[64];
    private int[] slot = new int[64];
    private boolean[] vision;
    private BitSet pivotSet = new BitSet();
    private int length, promptLength = -1;
    private DenseKeyValueStore prefillRows;
    private final float[] rowK, rowV;
    /** Per thread: the weighted sums of one attention call ({@code queryHeads · headDim}), reused by every decode step. */
    private static final ThreadScratch ACC = new ThreadScratch(1);

    /** AKVQ-VL's store of one layer (RTN-2: PSA, window 0, no pivots, clip2 1.0): keys and values per token. */
    public MixedPrecisionKeyValueStore(int kvHeads, int headDim, int group, LayerPattern pattern, int window, int pivots,
                                       PivotRule pivotRule, float clip2, float clip4, boolean prefillQuantized) {
        this(kvHeads, headDim, group, pattern, window, pivots, pivotRule, 0, prefillQuantized, "fp16 pivots",
                new QuantizedRowsFactory(2, clip2), new QuantizedRowsFactory(4, clip4));
    }

    /**
     * akvq-kc: AKVQ-VL's forms (window, pivots, TSA text INT4, clips on the values) with each quantized
     * segment's keys per channel over blocks of {@code keyBlock} of its tokens, KIVI's way ({@link ChannelKeyRows}).
     */
    public static MixedPrecisionKeyValueStore channelKeys(int kvHeads, int headDim, int group, int keyBlock, LayerPattern pattern,
                                                          int window, int pivots, PivotRule pivotRule, float clip2, float clip4,
                                                          boolean prefillQuantized) {
        return new MixedPrecisionKeyValueStore(kvHeads, headDim, group, pattern, window, pivots, pivotRule, 0, prefillQuantized,
                "fp16 pivots", new ChannelKeyRowsFactory(2, clip2, keyBlock), new ChannelKeyRowsFactory(4, clip4, keyBlock));
    }

    /**
     * Per-token round-to-nearest at one bit width with two optional FP16 segments: the first {@code sink}
     * tokens (kept for good) and the most recent {@code window}: rtn4 (no sink, no window), sink, and the
     * inner store of smoothquant and skvq ({@link ChannelMappedKeyValueStore} transforms the channels first).
     */
    public static MixedPrecisionKeyValueStore perToken(int kvHeads, int headDim, int bits, int group, float clip, int sink, int window,
                                                       boolean prefillQuantized) {
        return new MixedPrecisionKeyValueStore(kvHeads, headDim, group, LayerPattern.PSA, window, 0, PivotRule.ENTRIES, sink,
                prefillQuantized, "fp16 sink", new QuantizedRowsFactory(bits, clip), null);
    }

    /** How a store makes one quantized segment. */
    private interface SegmentFactory {
        QuantizedSegment make(int kvHeads, int headDim, int group);
    }

    private record QuantizedRowsFactory(int bits, float clip) implements SegmentFactory {
        public QuantizedSegment make(int kvHeads, int headDim, int group) {
            return new QuantizedRows(new GroupQuantizer(bits, clip), kvHeads, headDim, group);
        }
    }

    private record ChannelKeyRowsFactory(int bits, float clip, int keyBlock) implements SegmentFactory {
        public QuantizedSegment make(int kvHeads, int headDim, int group) {
            return new ChannelKeyRows(bits, new GroupQuantizer(bits, clip), kvHeads, headDim, group, keyBlock);
        }
    }

    private MixedPrecisionKeyValueStore(int kvHeads, int headDim, int group, LayerPattern pattern, int window, int pivots,
                                        PivotRule pivotRule, int sink, boolean prefillQuantized, String keptName,
                                        SegmentFactory low, SegmentFactory text) {
        if (kvHeads < 1 || headDim < 1 || group < 1 || headDim % group != 0 || window < 0 || pivots < 0 || sink < 0) {
            throw new IllegalArgumentException("MixedPrecisionKeyValueStore: kvHeads " + kvHeads + ", headDim " + headDim
                    + ", group " + group + ", window " + window + ", pivots " + pivots + ", sink " + sink
                    + " (the group must divide head_dim; counts >= 0)");
        }
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.pattern = pattern;
        this.window = window;
        this.pivots = pivots;
        this.pivotRule = pivotRule;
        this.sink = sink;
        this.prefillQuantized = prefillQuantized;
        this.keptName = keptName;
        this.half = new HalfRows(kvHeads, headDim);
        this.low = low.make(kvHeads, headDim, group);
        this.text = text == null ? null : text.make(kvHeads, headDim, group);
        this.vision = readsModality() ? new boolean[64] : null;
        this.rowK = new float[kvHeads * headDim];
        this.rowV = new float[kvHeads * headDim];
    }

    /** Whether the layer's rule reads a token's modality: text goes to INT4 in a TSA layer. */
    private boolean readsModality() {
        return text != null && pattern == LayerPattern.TSA;
    }

    @Override
    public void close() {
        half.close();
        low.close();
        if (text != null) text.close();
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

    /** Whether token {@code t} is stored quantized (else FP16). */
    boolean quantized(int t) {
        return kind[t] != HALF;
    }

    @Override
    public void beginPrefill(float[] residual, int tokens, int hidden) {
        if (length != 0) throw new IllegalStateException("beginPrefill: the store already holds " + length + " tokens");
        promptLength = tokens;
        pivotSet = pattern == LayerPattern.PSA && pivots > 0 ? PivotDetector.find(residual, tokens, hidden, pivots, pivotRule) : new BitSet();
        prefillRows = prefillQuantized ? null : new DenseKeyValueStore(DType.F32, kvHeads, headDim);
        if (prefillRows != null) prefillRows.reserve(tokens);
        half.reserve(Math.min(tokens, window) + pivotSet.cardinality() + 1);   // + 1: a decode token enters before one leaves
    }

    /** Whether token {@code t} stays FP16 for good: a pivot of this request, or among the first {@code sink} tokens. */
    private boolean kept(int t) {
        return t < sink || pivotSet.get(t);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        if (length == kind.length) {
            kind = Arrays.copyOf(kind, 2 * length);
            slot = Arrays.copyOf(slot, 2 * length);
            if (vision != null) vision = Arrays.copyOf(vision, 2 * length);
        }
        int t = length++;
        if (vision != null) vision[t] = token.modality() == Modality.VISION && !token.generated();
        boolean inPrompt = promptLength >= 0 && t < promptLength;
        if (inPrompt) {
            if (prefillRows != null) prefillRows.append(keys, keysOffset, values, valuesOffset, token);
            // Written once, straight to the segment it keeps: the window is the prompt's last tokens.
            boolean fp16 = t >= promptLength - window || kept(t);
            store(t, fp16 ? HALF : quantizedKind(t), keys, keysOffset, values, valuesOffset);
            return;
        }
        // Decode: the newest token enters the window; the one that leaves it is quantized.
        if (window == 0) {
            store(t, kept(t) ? HALF : quantizedKind(t), keys, keysOffset, values, valuesOffset);
            return;
        }
        store(t, HALF, keys, keysOffset, values, valuesOffset);
        int leaving = t - window;
        if (leaving >= 0 && kind[leaving] == HALF && !kept(leaving)) {
            half.widen(slot[leaving], true, rowK, 0);
            half.widen(slot[leaving], false, rowV, 0);
            half.release(slot[leaving]);
            store(leaving, quantizedKind(leaving), rowK, 0, rowV, 0);
        }
    }

    /** The segment of a token outside the window and the kept tokens: the layer's rule. */
    private byte quantizedKind(int t) {
        return readsModality() && !vision[t] ? TEXT : LOW;
    }

    private void store(int t, byte k, float[] keys, int keysOffset, float[] values, int valuesOffset) {
        kind[t] = k;
        slot[t] = k == HALF ? half.add(keys, keysOffset, values, valuesOffset) : segment(k).add(keys, keysOffset, values, valuesOffset);
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
        float[] acc = ACC.get(0, queryHeads * headDim);
        Arrays.fill(acc, 0, queryHeads * headDim, 0f);
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

    private QuantizedSegment segment(byte k) {
        return k == LOW ? low : text;
    }

    private void check(int kvHead, int from, int to) {
        KeyValueStore.checkRange(from, to, length);
        if (kvHead < 0 || kvHead >= kvHeads) throw new IllegalArgumentException("attend: KV head " + kvHead + " of " + kvHeads);
    }

    /** One head's key or value of token {@code t} as attention sees it. */
    private void row(int head, int t, boolean key, float[] out, int offset) {
        if (kind[t] != HALF) {
            segment(kind[t]).decode(head, slot[t], key, out, offset);
            return;
        }
        for (int i = 0; i < headDim; i++) out[offset + i] = key ? half.key(head, slot[t], i) : half.value(head, slot[t], i);
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

    /**
     * Segments in a fixed order: the low segment ("int2", or "int4" for rtn4), the text segment
     * ("int4", akvq only), the FP16 tokens kept for good ("fp16 pivots" or "fp16 sink"), the FP16
     * window. Bookkeeping: per token its segment (1 byte) and slot (4 bytes), and its modality
     * (1 byte) where the layer's rule reads it (TSA layers of akvq and akvq-kc).
     */
    @Override
    public KvFootprint footprint() {
        int keptTokens = 0, windowTokens = 0;
        for (int t = 0; t < length; t++) {
            if (kind[t] != HALF) continue;
            if (kept(t)) keptTokens++;
            else windowTokens++;
        }
        List<KvFootprint.Segment> segments = new ArrayList<>();
        segments.add(low.footprint("int" + low.bits()));
        if (text != null) segments.add(text.footprint("int" + text.bits()));
        segments.add(new KvFootprint.Segment(keptName, keptTokens, 0, 0, 0, half.bytes(keptTokens)));
        segments.add(new KvFootprint.Segment("fp16 window", windowTokens, 0, 0, 0, half.bytes(windowTokens)));
        long bookkeeping = (long) length * (Byte.BYTES + Integer.BYTES + (vision != null ? 1 : 0));
        return new KvFootprint(segments, 2L * kvHeads * length * headDim, bookkeeping);
    }
}
