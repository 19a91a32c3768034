package dev.akvq.api;

/**
 * A finished generation and its statistics.
 *
 * @param text             the generated text (special tokens skipped)
 * @param tokenIds         the generated ids, EOS included when generation stopped there
 * @param stopReason       {@code "eos"}, {@code "length"} (max new tokens) or {@code "cancelled"}
 * @param promptTokens     the prompt's tokens, image tokens included
 * @param prefillSeconds   layout, image preprocessing, vision tower and the prompt's prefill
 * @param decodeSeconds    the generated tokens after the first
 * @param kvCacheBytes     the cache's bytes at the end (codes, scales, zero points, full-precision rows)
 * @param kvBitsPerValue   those bytes per cached key and value element, in bits
 */
public record Generation(String text, int[] tokenIds, String stopReason, int promptTokens, double prefillSeconds,
                         double decodeSeconds, long kvCacheBytes, double kvBitsPerValue) {

    /** Generated tokens per second after the first. */
    public double tokensPerSecond() {
        return tokenIds.length / decodeSeconds;
    }
}
