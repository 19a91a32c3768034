package dev.akvq.server;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.weights.config.TextDecoderConfig;

/**
 * An upper bound on the cache bytes of a sequence of {@code tokens} tokens, known before it runs:
 * what admission against {@code --kv-budget} compares. Per layer, per token, {@code 2·kvHeads·headDim}
 * values; FP32 and FP16 rows are exact. The quantized modes are bounded from above: every token
 * that may sit in an FP16 segment (AKVQ's window and pivots, KIVI's residual plus one block being
 * filled) at 16 bits, every other token at INT4 with its group's FP16 scale and byte zero point
 * ({@code 4 + 24/group} bits), which covers INT2 too. The measured bytes are reported with
 * every answer; they stay at or below this bound (tested).
 */
final class KvProjection {
    private KvProjection() {}

    static long bytes(KvCacheSettings settings, TextDecoderConfig text, long tokens) {
        int headDim = text.headDim();
        long valuesPerToken = 2L * text.numHiddenLayers() * text.numKeyValueHeads() * headDim;
        double bits = switch (settings.mode()) {
            case FP32 -> 32.0 * tokens;
            case FP16 -> 16.0 * tokens;
            case RTN2, AKVQ -> {
                long dense = settings.mode() == dev.akvq.quant.kv.KvMode.AKVQ ? Math.min(tokens, settings.window() + settings.pivots()) : 0;
                yield 16.0 * dense + (4 + 24.0 / Math.min(settings.group(), headDim)) * (tokens - dense);
            }
            case KIVI2 -> {
                int group = Math.min(KvCacheSettings.KIVI_GROUP, headDim);
                long dense = Math.min(tokens, KvCacheSettings.KIVI_RESIDUAL + KvCacheSettings.KIVI_GROUP);
                yield 16.0 * dense + (4 + 24.0 / group + 32.0 / KvCacheSettings.KIVI_GROUP) * (tokens - dense);
            }
        };
        return (long) Math.ceil(bits * valuesPerToken / 8);
    }
}
