package dev.akvq.model.qwen2vl;

import dev.akvq.model.Trace;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.DecoderBatch;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import java.util.List;

/**
 * One Qwen2-VL sequence being generated: the decoder's per-layer KV cache, the cache position
 * and the prompt's {@code rope_deltas}. The prompt runs with its M-RoPE positions; each decode
 * step at cache position {@code c} runs at {@code c + ropeDelta} in all three components, as
 * Qwen2VLForConditionalGeneration.forward does once the cache is filled (transformers 4.47.1).
 * Each cached token is told its temporal position and its modality (vision for image features).
 */
public final class Qwen2VLSequence implements BatchedSequence {
    private final LlamaDecoder decoder;
    private final MultimodalRotary rotary;
    private final List<KeyValueStore> cache;
    private int cachePosition;
    private int ropeDelta;
    /** A prompt queued for {@link #addTo}: embeddings, positions, modality, and how much of it has run. */
    private float[] promptEmbeds;
    private MropePositions promptPositions;
    private Modality[] promptModality;
    private int promptLength, promptDone;

    /** A sequence with {@code mode}'s default settings ({@link KvCacheSettings#defaults}). */
    public Qwen2VLSequence(LlamaDecoder decoder, MultimodalRotary rotary, KvMode mode) {
        this(decoder, rotary, KvCacheSettings.defaults(mode));
    }

    /**
     * A sequence whose layers cache as {@code settings} say, as {@code LlamaSequence}'s: with rotation
     * on it runs the decoder's value-rotated twin ({@link LlamaDecoder#valueRotated}).
     */
    public Qwen2VLSequence(LlamaDecoder decoder, MultimodalRotary rotary, KvCacheSettings settings) {
        this.decoder = settings.rotation() ? decoder.valueRotated() : decoder;
        this.rotary = rotary;
        var c = decoder.config();
        this.cache = settings.newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
    }

    @Override
    public List<KeyValueStore> cache() {
        return cache;
    }

    /** Runs the prompt's embeddings; returns the final norm's output {@code [tokens, hidden]}. */
    public float[] prefill(float[] embeds, MropePositions positions, Modality[] modality, Trace trace) {
        if (cachePosition != 0) throw new IllegalStateException("prefill runs once per sequence");
        int n = positions.length();
        if (modality.length != n) throw new IllegalArgumentException("modality has " + modality.length + " entries, the prompt " + n);
        CachedToken[] tokens = new CachedToken[n];
        for (int t = 0; t < n; t++) tokens[t] = new CachedToken(positions.temporal()[t], modality[t], false);
        float[] out = decoder.forward(embeds, tokens, rotary.tables(positions), cache, trace);
        cachePosition = n;
        ropeDelta = positions.ropeDelta();
        return out;
    }

    /** Feeds one generated token; returns its logits {@code [vocab]}. */
    @Override
    public float[] step(int token) {
        MropePositions p = MropePositions.decode(cachePosition, ropeDelta);
        float[] x = decoder.embed(new int[] {token});
        float[] normed = decoder.forward(x, new CachedToken[] {new CachedToken(p.temporal()[0], Modality.TEXT, true)},
                rotary.tables(p), cache, Trace.NONE);
        cachePosition++;
        return lastLogits(normed, 1);
    }

    /** Logits of the last of {@code n} rows of the final norm's output. */
    public float[] lastLogits(float[] normed, int n) {
        return decoder.lastLogits(normed, n);
    }

    @Override
    public int length() {
        return cachePosition;
    }

    /**
     * Queues the prompt for a batched run ({@link #addTo}) instead of {@link #prefill}: its rows then
     * go through the decoder in chunks with their M-RoPE positions; decode steps follow at
     * {@code cachePosition + ropeDelta} as after {@link #prefill}.
     */
    public void queuePrompt(float[] embeds, MropePositions positions, Modality[] modality) {
        int n = positions.length(), hidden = decoder.config().hiddenSize();
        if (cachePosition != 0 || promptEmbeds != null) throw new IllegalStateException("the prompt is queued once per sequence");
        if (n == 0 || modality.length != n || embeds.length != n * hidden) {
            throw new IllegalArgumentException("prompt of " + n + " positions, " + modality.length + " modality entries and "
                    + embeds.length + " embedding floats (hidden " + hidden + "); they must agree, with at least one token");
        }
        promptEmbeds = embeds;
        promptPositions = positions;
        promptModality = modality;
        promptLength = n;
        ropeDelta = positions.ropeDelta();
    }

    @Override
    public LlamaDecoder decoder() {
        return decoder;
    }

    @Override
    public int pendingPromptTokens() {
        return promptLength - promptDone;
    }

    @Override
    public int promptLength() {
        return promptLength;
    }

    @Override
    public int addTo(DecoderBatch batch, int n, int token, boolean wantsLogits) {
        int hidden = decoder.config().hiddenSize(), headDim = decoder.config().headDim();
        int pending = pendingPromptTokens();
        if (pending > 0 ? n > pending : n != 1) {
            throw new IllegalArgumentException("addTo: " + n + " tokens asked, " + (pending > 0 ? pending + " prompt tokens pending" : "one generated token at a time"));
        }
        int row = batch.addSegment(cache, decoder, n, wantsLogits);
        for (int i = 0; i < n; i++, row++) {
            if (pending > 0) {
                int t = promptDone + i;
                System.arraycopy(promptEmbeds, t * hidden, batch.input(), row * hidden, hidden);
                batch.setToken(row, new CachedToken(promptPositions.temporal()[t], promptModality[t], false));
                rotary.row(promptPositions.temporal()[t], promptPositions.height()[t], promptPositions.width()[t],
                        batch.cos(), batch.sin(), row * headDim);
            } else {
                int p = cachePosition + ropeDelta;
                decoder.embedInto(token, batch.input(), row * hidden);
                batch.setToken(row, new CachedToken(p, Modality.TEXT, true));
                rotary.row(p, p, p, batch.cos(), batch.sin(), row * headDim);
            }
            cachePosition++;
        }
        if (pending > 0) {
            promptDone += n;
            if (promptDone == promptLength) {
                promptEmbeds = null;     // the rows live in the cache now
                promptPositions = null;
            }
        }
        return batch.segments() - 1;
    }
}
