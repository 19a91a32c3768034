package dev.akvq.model.generate;

import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvFootprint;
import java.util.List;

/**
 * A prompt prefilled into a decoder's KV cache, fed one generated token at a time: what a
 * generation loop needs whichever family built the cache and its positions (1-D RoPE in
 * {@code LlamaSequence}, M-RoPE in {@code Qwen2VLSequence}). Families return one from
 * {@code VisionLanguageModel.prefill}; {@link #logits()} is then the first generated token's
 * distribution.
 *
 * <p>Lifecycle: prefill (by the family), any number of {@link #step}s, {@link #close()}. A closed
 * sequence frees its cache's memory at once ({@code KeyValueStore.close}) and refuses
 * further steps.
 */
public interface TokenSequence extends AutoCloseable {
    /** The logits {@code [vocab]} of the last position fed: the prompt's last token, then each step's token. */
    float[] logits();

    /** Feeds one generated token; returns its logits {@code [vocab]} (also {@link #logits()} from now on). */
    float[] step(int token);

    /** The per-layer KV stores, for memory statistics. */
    List<KeyValueStore> cache();

    /** Tokens cached so far (prompt and generated). */
    int length();

    /** Tokens of the prompt, image tokens included. */
    int promptTokens();

    /** Every layer's bytes by segment, and the bits per cached value of the whole cache. */
    default KvFootprint kvFootprint() {
        return KvFootprint.sum(cache().stream().map(KeyValueStore::footprint).toList());
    }

    /** Bytes the cache holds now (codes, scales, zero points, full-precision rows). */
    default long kvBytes() {
        return cache().stream().mapToLong(KeyValueStore::bytes).sum();
    }

    /** Releases the cache; later calls to {@link #step} throw. */
    @Override
    void close();
}
