package dev.akvq.model.generate;

import dev.akvq.quant.kv.KeyValueStore;
import java.util.List;

/**
 * A prompt already prefilled into a decoder's KV cache, fed one generated token at a time: what
 * {@code akvq run}'s generation loop needs, whichever family built the cache and its positions
 * (1-D RoPE in {@code LlamaSequence}, M-RoPE in {@code Qwen2VLSequence}).
 */
public interface TokenSequence {
    /** Feeds one generated token; returns its logits {@code [vocab]}. */
    float[] step(int token);

    /** The per-layer KV stores, for memory statistics. */
    List<KeyValueStore> cache();

    /** Tokens cached so far. */
    int length();
}
