package dev.akvq.model.qwen2vl;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.DecoderBatch;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import java.util.List;

/**
 * One Qwen2-VL sequence being generated: the decoder's per-layer KV cache, the cache position
 * and the prompt's {@code rope_deltas}. The prompt runs with its M-RoPE positions; each decode
 * step at cache position {@code c} runs at {@code c + ropeDelta} in all three components, as
 * Qwen2VLForConditionalGeneration.forward does once the cache is filled (transformers 4.47.1).
 * A KV store is told each token's temporal position and its modality (vision for image features).
 */
public final class Qwen2VLSequence implements BatchedSequence {
    private final LlamaDecoder decoder;
    private final MultimodalRotary rotary;
    private List<KeyValueStore> cache;
    private int cachePosition, promptTokens;
    private int ropeDelta;
    private float[] logits;
    private boolean closed;
    /** A prompt queued for {@link #addTo}: embeddings, positions, modality (dropped once run), and how much has run. */
    private float[] promptEmbeds;
    private MropePositions promptPositions;
    private Modality[] promptModality;
    private int promptDone;
    private float[] angles;      // scratch of MultimodalRotary.row, headDim / 2

    /** A sequence whose layers cache as {@code settings} say, as {@code LlamaSequence}'s. */
    public Qwen2VLSequence(LlamaDecoder decoder, MultimodalRotary rotary, KvCacheSettings settings) {
        this.decoder = decoder;
        this.rotary = rotary;
        var c = decoder.config();
        this.cache = settings.newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
    }

    @Override
    public List<KeyValueStore> cache() {
        return cache;
    }

    /**
     * Runs the prompt's embeddings. Afterwards {@link #logits()} holds the last position's logits;
     * a trace also receives {@code mrope_position_ids} {@code [3, 1, seq]}, {@code rope_deltas}
     * {@code [1, 1]} and {@code logits} {@code [1, seq, vocab]}.
     *
     * @return the final norm's output {@code [tokens, hidden]}
     */
    public float[] prefill(float[] embeds, MropePositions positions, Modality[] modality, Trace trace) {
        if (closed) throw new IllegalStateException("the sequence is closed");
        if (cachePosition != 0) throw new IllegalStateException("prefill runs once per sequence");
        int n = positions.length();
        if (modality.length != n) throw new IllegalArgumentException("modality has " + modality.length + " entries, the prompt " + n);
        long[] positionIds = new long[3 * n];
        for (int t = 0; t < n; t++) {
            positionIds[t] = positions.temporal()[t];
            positionIds[n + t] = positions.height()[t];
            positionIds[2 * n + t] = positions.width()[t];
        }
        trace.putIds("mrope_position_ids", positionIds, 3, 1, n);
        trace.putIds("rope_deltas", new long[] {positions.ropeDelta()}, 1, 1);
        CachedToken[] tokens = new CachedToken[n];
        for (int t = 0; t < n; t++) tokens[t] = new CachedToken(positions.temporal()[t], modality[t], false);
        float[] out = decoder.forward(embeds, tokens, rotary.tables(positions), cache, trace);
        cachePosition = n;
        promptTokens = n;
        ropeDelta = positions.ropeDelta();
        logits = decoder.promptLogits(out, n, trace);
        return out;
    }

    /** Feeds one generated token; returns its logits {@code [vocab]}. */
    @Override
    public float[] step(int token) {
        if (closed) throw new IllegalStateException("the sequence is closed");
        MropePositions p = MropePositions.decode(cachePosition, ropeDelta);
        float[] x = decoder.embed(new int[] {token});
        float[] normed = decoder.forward(x, new CachedToken[] {new CachedToken(p.temporal()[0], Modality.TEXT, true)},
                rotary.tables(p), cache, Trace.NONE);
        cachePosition++;
        logits = decoder.lastLogits(normed, 1);
        return logits;
    }

    @Override
    public float[] logits() {
        if (logits == null) throw new IllegalStateException("the sequence has no logits before its prefill");
        return logits;
    }

    /** Logits of the last of {@code n} rows of the final norm's output. */
    public float[] lastLogits(float[] normed, int n) {
        return decoder.lastLogits(normed, n);
    }

    @Override
    public int length() {
        return cachePosition;
    }

    @Override
    public int promptTokens() {
        return promptTokens;
    }

    /**
     * Queues the prompt for a batched run ({@link #addTo}) instead of {@link #prefill}: its rows then
     * go through the decoder in chunks with their M-RoPE positions; decode steps follow at
     * {@code cachePosition + ropeDelta} as after {@link #prefill}.
     */
    public void queuePrompt(float[] embeds, MropePositions positions, Modality[] modality) {
        if (closed) throw new IllegalStateException("the sequence is closed");
        int n = positions.length(), hidden = decoder.config().hiddenSize();
        if (cachePosition != 0 || promptEmbeds != null) throw new IllegalStateException("the prompt is queued once per sequence");
        if (n == 0 || modality.length != n || embeds.length != n * hidden) {
            throw new IllegalArgumentException("prompt of " + n + " positions, " + modality.length + " modality entries and "
                    + embeds.length + " embedding floats (hidden " + hidden + "); they must agree, with at least one token");
        }
        promptEmbeds = embeds;
        promptPositions = positions;
        promptModality = modality;
        promptTokens = n;
        ropeDelta = positions.ropeDelta();
    }

    @Override
    public LlamaDecoder decoder() {
        return decoder;
    }

    @Override
    public int pendingPromptTokens() {
        return promptEmbeds == null ? 0 : promptTokens - promptDone;
    }

    @Override
    public int addTo(DecoderBatch batch, int n, int token, boolean wantsLogits) {
        if (closed) throw new IllegalStateException("the sequence is closed");
        int hidden = decoder.config().hiddenSize(), headDim = decoder.config().headDim();
        int pending = pendingPromptTokens();
        BatchedSequence.checkCount(n, pending);
        int row = batch.addSegment(cache, decoder, n, wantsLogits);
        if (angles == null) angles = new float[headDim / 2];
        for (int i = 0; i < n; i++, row++) {
            if (pending > 0) {
                int t = promptDone + i;
                System.arraycopy(promptEmbeds, t * hidden, batch.input(), row * hidden, hidden);
                batch.setToken(row, new CachedToken(promptPositions.temporal()[t], promptModality[t], false));
                rotary.row(promptPositions.temporal()[t], promptPositions.height()[t], promptPositions.width()[t],
                        angles, batch.cos(), batch.sin(), row * headDim);
            } else {
                int p = cachePosition + ropeDelta;
                decoder.embedInto(token, batch.input(), row * hidden);
                batch.setToken(row, new CachedToken(p, Modality.TEXT, true));
                rotary.row(p, p, p, angles, batch.cos(), batch.sin(), row * headDim);
            }
            cachePosition++;
        }
        if (pending > 0) {
            promptDone += n;
            if (promptDone == promptTokens) {
                promptEmbeds = null;     // the rows live in the cache now
                promptPositions = null;
                promptModality = null;
            }
        }
        return batch.segments() - 1;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cache.forEach(KeyValueStore::close);
        cache = List.of();
    }
}
