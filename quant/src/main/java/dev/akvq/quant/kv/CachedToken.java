package dev.akvq.quant.kv;

/**
 * The metadata a store receives with each token's keys and values.
 *
 * @param position  the token's RoPE position (for M-RoPE, its temporal component)
 * @param modality  text or vision (AKVQ-VL stores them at different precisions)
 * @param generated true for tokens produced by decoding, false for prompt tokens
 */
public record CachedToken(int position, Modality modality, boolean generated) {
    public CachedToken {
        if (position < 0) throw new IllegalArgumentException("CachedToken: position must be >= 0, got " + position);
        if (modality == null) throw new IllegalArgumentException("CachedToken: modality is required");
    }
}
