package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.Softmax;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-token round-to-nearest at one bit width with two optional FP16 segments: the first
 * {@code sink} tokens of the sequence (attention sinks, StreamingLLM, arXiv 2309.17453, kept for
 * good) and the most recent {@code window} tokens. It is the store of {@code rtn4} (INT4, no sink,
 * no window), {@code sink} (INT2 with sink and window: what a fixed attention-sink rule gives
 * without AKVQ-VL's pivot detection), and the inner store of {@code smoothquant} and {@code skvq}
 * (which transform the channels first, {@link ChannelMappedKeyValueStore}).
 *
 * <p>Each token sits in exactly one segment; quantized tokens use {@link QuantizedRows} (the
 * engine's {@link GroupQuantizer}: groups of {@code group} channels per token and head, FP16 scale,
 * signed-byte zero point), FP16 tokens {@link HalfRows}. Prefill writes each prompt token straight to
 * its final segment and, unless {@code prefillQuantized}, the prompt's own attention reads an FP32
 * copy. Decode: the new token enters the window and the one leaving it is quantized from its FP16
 * row. {@link #attend} reads every segment straight from its codes or FP16 rows, one softmax, one
 * weighted sum; its twin is {@link ReferenceAttention} (decode everything, attend in double).
 */
public final class PerTokenKeyValueStore implements KeyValueStore {
    private static final byte HALF = 0, CODES = 1;

    private final int kvHeads, headDim, sink, window;
    private final boolean prefillQuantized;
    private final HalfRows half;
    private final QuantizedRows codes;

    /** Per token: its segment and its slot there. */
    private byte[] kind = new byte[64];
    private int[] slot = new int[64];
    private int length, promptLength = -1;
    private DenseKeyValueStore prefillRows;
    private final float[] rowK, rowV;

    public PerTokenKeyValueStore(int kvHeads, int headDim, int bits, int group, float clip, int sink, int window,
                                 boolean prefillQuantized) {
        if (kvHeads < 1 || headDim < 1 || group < 1 || headDim % group != 0 || sink < 0 || window < 0) {
            throw new IllegalArgumentException("PerTokenKeyValueStore: kvHeads " + kvHeads + ", headDim " + headDim + ", group "
                    + group + ", sink " + sink + ", window " + window + " (the group must divide head_dim; counts >= 0)");
        }
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.sink = sink;
        this.window = window;
        this.prefillQuantized = prefillQuantized;
        this.half = new HalfRows(kvHeads, headDim);
        this.codes = new QuantizedRows(new GroupQuantizer(bits, clip), kvHeads, headDim, group);
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

    @Override
    public void beginPrefill(float[] residual, int tokens, int hidden) {
        if (length != 0) throw new IllegalStateException("beginPrefill: the store already holds " + length + " tokens");
        promptLength = tokens;
        prefillRows = prefillQuantized ? null : new DenseKeyValueStore(DType.F32, kvHeads, headDim);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        if (length == kind.length) {
            kind = Arrays.copyOf(kind, 2 * length);
            slot = Arrays.copyOf(slot, 2 * length);
        }
        int t = length++;
        if (promptLength >= 0 && t < promptLength) {
            if (prefillRows != null) prefillRows.append(keys, keysOffset, values, valuesOffset, token);
            // Written once, straight to the segment it keeps: the window is the prompt's last tokens.
            store(t, t < sink || t >= promptLength - window ? HALF : CODES, keys, keysOffset, values, valuesOffset);
            return;
        }
        if (window == 0) {
            store(t, t < sink ? HALF : CODES, keys, keysOffset, values, valuesOffset);
            return;
        }
        store(t, HALF, keys, keysOffset, values, valuesOffset);
        int leaving = t - window;
        if (leaving >= sink && kind[leaving] == HALF) {
            half.widen(slot[leaving], true, rowK, 0);
            half.widen(slot[leaving], false, rowV, 0);
            half.release(slot[leaving]);
            store(leaving, CODES, rowK, 0, rowV, 0);
        }
    }

    private void store(int t, byte k, float[] keys, int keysOffset, float[] values, int valuesOffset) {
        kind[t] = k;
        slot[t] = k == HALF ? half.add(keys, keysOffset, values, valuesOffset) : codes.add(keys, keysOffset, values, valuesOffset);
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

    /** Every query head of one KV head in one pass; quantized tokens in runs of consecutive slots. */
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
        for (int j = from, end; j < to; j = end) {
            end = runEnd(j, to);
            if (kind[j] == HALF) half.dots(kvHead, slot[j], queries, queryOffset, queryHeads, probabilities, j - from, n);
            else codes.logits(kvHead, slot[j], end - j, queries, queryOffset, queryHeads, probabilities, j - from, n);
        }
        for (int h = 0; h < queryHeads; h++) {
            for (int j = h * n; j < (h + 1) * n; j++) probabilities[j] *= scale;
            Softmax.inPlace(probabilities, h * n, n);
        }
        float[] acc = new float[queryHeads * headDim];
        for (int j = from, end; j < to; j = end) {
            end = runEnd(j, to);
            if (kind[j] == HALF) half.accumulate(kvHead, slot[j], probabilities, j - from, n, queryHeads, acc);
            else codes.accumulateRun(kvHead, slot[j], end - j, probabilities, j - from, n, queryHeads, acc);
        }
        System.arraycopy(acc, 0, out, outOffset, queryHeads * headDim);
    }

    /** The end of token {@code j}'s run below {@code to}: itself for an FP16 token, else the following quantized tokens in consecutive slots. */
    private int runEnd(int j, int to) {
        int end = j + 1;
        if (kind[j] == HALF) return end;
        while (end < to && kind[end] == CODES && slot[end] == slot[j] + (end - j)) end++;
        return end;
    }

    private void check(int kvHead, int from, int to) {
        KeyValueStore.checkRange(from, to, length);
        if (kvHead < 0 || kvHead >= kvHeads) throw new IllegalArgumentException("attend: KV head " + kvHead + " of " + kvHeads);
    }

    private void row(int head, int t, boolean key, float[] out, int offset) {
        if (kind[t] == CODES) {
            codes.decode(head, slot[t], key, out, offset);
            return;
        }
        for (int i = 0; i < headDim; i++) out[offset + i] = key ? half.key(head, slot[t], i) : half.value(head, slot[t], i);
    }

    /** Whether token {@code t} is stored quantized (else FP16). */
    boolean quantized(int t) {
        return kind[t] == CODES;
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

    @Override
    public long bytes() {
        return footprint().bytes();
    }

    /** Per token a segment byte and a slot int (5 bytes; not in {@link #bytes}). */
    @Override
    public long bookkeepingBytes() {
        return 5L * length;
    }

    @Override
    public KvFootprint footprint() {
        int sinkTokens = 0, windowTokens = 0;
        for (int t = 0; t < length; t++) {
            if (kind[t] != HALF) continue;
            if (t < sink) sinkTokens++;
            else windowTokens++;
        }
        List<KvFootprint.Segment> segments = new ArrayList<>();
        segments.add(codes.footprint("int" + codes.quantizer.bits()));
        segments.add(new KvFootprint.Segment("fp16 sink", sinkTokens, 0, 0, 0, half.bytes(sinkTokens)));
        segments.add(new KvFootprint.Segment("fp16 window", windowTokens, 0, 0, 0, half.bytes(windowTokens)));
        return new KvFootprint(segments, 2L * kvHeads * length * headDim);
    }
}
