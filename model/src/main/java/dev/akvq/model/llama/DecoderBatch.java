package dev.akvq.model.llama;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.Arrays;
import java.util.List;

/**
 * The new tokens of several sequences for one {@link LlamaDecoder#forwardBatch} step, and the
 * scratch that step works in. Rows are grouped by sequence (a <em>segment</em>: one sequence's
 * next {@code n} tokens, a prompt chunk or one decode token); each segment names the KV cache it
 * appends to and the decoder it belongs to.
 *
 * <p>Every buffer grows to the largest batch seen and is then reused: a step allocates nothing
 * in proportion to the batch once the batch has reached its size (the matrix kernels' own
 * packing buffers aside, see {@code dev.akvq.tensor.MatrixMatrix}).
 *
 * <p>Use: {@link #clear}, then per sequence {@link #addSegment} and write that segment's rows
 * ({@link #input}, {@link #cos}, {@link #sin}, {@link #setToken}); after the step,
 * {@link #logits} holds each segment's last-row logits when it asked for them.
 */
public final class DecoderBatch {
    final TextDecoderConfig config;
    int rows, segments;

    // Per row.
    float[] x = new float[0], cos = new float[0], sin = new float[0];
    CachedToken[] tokens = new CachedToken[0];
    int[] rowSegment = new int[0];

    // Per segment.
    @SuppressWarnings("unchecked")
    List<KeyValueStore>[] caches = new List[0];
    LlamaDecoder[] weights = new LlamaDecoder[0];
    int[] firstRow = new int[0], rowCount = new int[0], past = new int[0], logitsRow = new int[0];
    boolean[] wantsLogits = new boolean[0];
    boolean[] tiled = new boolean[0];    // per layer of a step: the segment's first chunk runs the tiled prompt kernel

    // Scratch of the step, [rows, width] each.
    float[] h = new float[0], q = new float[0], k = new float[0], v = new float[0], attention = new float[0];
    float[] projected = new float[0], gate = new float[0], up = new float[0];
    float[] normed = new float[0], logits = new float[0];

    public DecoderBatch(TextDecoderConfig config) {
        this.config = config;
    }

    /**
     * One decode step of {@code sequence} alone, in this batch's buffers: what a sequence's own
     * {@code step} runs, so that after the first step a generated token allocates no activations
     * and no logits (issue 13: no per-step garbage on the decode path). The math is the batch
     * step's, which gives a sequence the same bits as {@link LlamaDecoder#forward} would.
     *
     * @return the token's logits {@code [vocab]}: this batch's buffer, overwritten by its next step
     */
    public float[] stepAlone(BatchedSequence sequence, int token) {
        clear();
        sequence.addTo(this, 1, token, true);
        sequence.decoder().forwardBatch(this);
        int vocab = config.vocabSize();
        return logits.length == vocab ? logits : Arrays.copyOf(logits, vocab);   // one row asked: exactly [vocab]
    }

    /** Empties the batch (keeping its buffers). */
    public void clear() {
        rows = 0;
        for (int s = 0; s < segments; s++) caches[s] = null;
        segments = 0;
    }

    public int rows() {
        return rows;
    }

    public int segments() {
        return segments;
    }

    /**
     * Adds one sequence's next {@code n} tokens and returns the index of their first row.
     *
     * @param cache       the sequence's stores, one per layer; the tokens are appended to them
     * @param decoder     the sequence's decoder (the one {@link LlamaDecoder#forwardBatch} runs)
     * @param wantsLogits whether the step should compute the logits of the segment's last row
     */
    public int addSegment(List<KeyValueStore> cache, LlamaDecoder decoder, int n, boolean wantsLogits) {
        if (n < 1) throw new IllegalArgumentException("DecoderBatch: a segment holds >= 1 token, got " + n);
        if (decoder.config() != config && !decoder.config().equals(config)) {
            throw new IllegalArgumentException("DecoderBatch: a segment's decoder has another config than the batch's");
        }
        if (cache.size() != config.numHiddenLayers()) {
            throw new IllegalArgumentException("DecoderBatch: cache has " + cache.size() + " layers, the model " + config.numHiddenLayers());
        }
        ensureRows(rows + n);
        ensureSegments(segments + 1);
        int s = segments++, first = rows;
        caches[s] = cache;
        weights[s] = decoder;
        firstRow[s] = first;
        rowCount[s] = n;
        past[s] = cache.get(0).length();
        this.wantsLogits[s] = wantsLogits;
        for (int r = first; r < first + n; r++) rowSegment[r] = s;
        rows += n;
        return first;
    }

    /** The input embeddings {@code [rows, hidden]}; a segment writes its rows at {@code row · hidden}. */
    public float[] input() {
        return x;
    }

    /** The rotary cos table {@code [rows, headDim]}. */
    public float[] cos() {
        return cos;
    }

    /** The rotary sin table {@code [rows, headDim]}. */
    public float[] sin() {
        return sin;
    }

    /** What the cache is told about the token of row {@code row}. */
    public void setToken(int row, CachedToken token) {
        tokens[row] = token;
    }

    /** The logits {@code [vocab]} of segment {@code segment}'s last row, at {@code logits()[offset ..]}: the offset. */
    public int logitsOffset(int segment) {
        if (!wantsLogits[segment]) throw new IllegalStateException("segment " + segment + " did not ask for logits");
        return logitsRow[segment] * config.vocabSize();
    }

    /** The logits of the segments that asked for them, {@code [segments asking, vocab]}; see {@link #logitsOffset}. */
    public float[] logits() {
        return logits;
    }

    private void ensureRows(int n) {
        if (n <= tokens.length) return;
        int c = Math.max(n, 2 * tokens.length);
        int hidden = config.hiddenSize(), headDim = config.headDim(), qWidth = config.numAttentionHeads() * headDim;
        int kvWidth = config.numKeyValueHeads() * headDim, ffn = config.intermediateSize();
        x = Arrays.copyOf(x, c * hidden);
        cos = Arrays.copyOf(cos, c * headDim);
        sin = Arrays.copyOf(sin, c * headDim);
        tokens = Arrays.copyOf(tokens, c);
        rowSegment = Arrays.copyOf(rowSegment, c);
        h = new float[c * hidden];
        q = new float[c * qWidth];
        k = new float[c * kvWidth];
        v = new float[c * kvWidth];
        attention = new float[c * qWidth];
        projected = new float[c * hidden];
        gate = new float[c * ffn];
        up = new float[c * ffn];
    }

    private void ensureSegments(int n) {
        if (n <= firstRow.length) return;
        int c = Math.max(n, 2 * firstRow.length);
        caches = Arrays.copyOf(caches, c);
        weights = Arrays.copyOf(weights, c);
        firstRow = Arrays.copyOf(firstRow, c);
        rowCount = Arrays.copyOf(rowCount, c);
        past = Arrays.copyOf(past, c);
        logitsRow = Arrays.copyOf(logitsRow, c);
        wantsLogits = Arrays.copyOf(wantsLogits, c);
        tiled = Arrays.copyOf(tiled, c);
    }

    /** The buffers of the final norm and lm_head for {@code n} rows asking for logits. */
    void ensureLogitRows(int n) {
        int hidden = config.hiddenSize(), vocab = config.vocabSize();
        if ((long) n * vocab > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("DecoderBatch: " + n + " rows of " + vocab + " logits exceed one float[]");
        }
        if (normed.length < n * hidden) normed = new float[n * hidden];
        if (logits.length < n * vocab) logits = new float[n * vocab];
    }
}
