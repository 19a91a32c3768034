package dev.akvq.engine;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.LayerPattern;
import dev.akvq.weights.config.TextDecoderConfig;

/**
 * The bytes a sequence's KV cache will hold, projected before it is admitted: what the scheduler
 * charges against the budget for a request of {@code prompt + max_new_tokens} tokens.
 */
@FunctionalInterface
public interface KvProjection {

    /** Bytes of a cache built with {@code settings} for a decoder of {@code config} once it holds {@code tokens} tokens. */
    long bytes(KvCacheSettings settings, TextDecoderConfig config, int tokens);

    /**
     * An upper bound of {@code KeyValueStore.bytes()} summed over the layers, from the stores'
     * layouts (README, "Batched decoding"). Per layer and KV head, K and V together, with
     * {@code d = head_dim}:
     * <ul>
     *   <li>fp32: {@code 8d} per token; fp16: {@code 4d};</li>
     *   <li>a quantized token at {@code b} bits in groups of {@code g}: {@code 2 · (d·b/8 + 3·d/g)}
     *       (codes, an FP16 scale and a byte zero point per group);</li>
     *   <li>rtn2: every token INT2;</li>
     *   <li>akvq: at most {@code window + pivots} tokens FP16 (the pivots only in PSA layers), the
     *       rest INT4 in TSA layers (the text rate, above vision's INT2) and INT2 in PSA layers;</li>
     *   <li>kivi2: at most {@code residual + 32} tokens FP16 (the key residual grows a block past
     *       the residual before a block is quantized), every token also counted quantized (keys per
     *       channel in blocks of 32 tokens: codes plus {@code 3d/32} of scales and zeros per token;
     *       values per token in groups of 32);</li>
     *   <li>a mode this projection does not know: fp32's rate.</li>
     * </ul>
     * {@code BatchSchedulerTest} checks the bound against real stores over random settings and lengths.
     */
    KvProjection UPPER_BOUND = (settings, config, tokens) -> {
        long d = config.headDim(), t = tokens, perHead = 0, total = 0;
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            perHead = switch (settings.mode()) {
                case FP32 -> 8 * d * t;
                case FP16 -> 4 * d * t;
                case RTN2 -> t * quantized(d, 2, settings.groupFor(config.headDim()));
                case AKVQ -> {
                    LayerPattern pattern = settings.layers().pattern(layer);
                    long fp16 = Math.min(t, settings.window() + (pattern == LayerPattern.PSA ? settings.pivots() : 0));
                    int bits = pattern == LayerPattern.TSA ? 4 : 2;
                    yield fp16 * 4 * d + (t - fp16) * quantized(d, bits, settings.groupFor(config.headDim()));
                }
                case KIVI2 -> {
                    long block = KvCacheSettings.KIVI_GROUP, valueGroup = Math.min(block, d);
                    long fp16 = Math.min(t, KvCacheSettings.KIVI_RESIDUAL + block);
                    long keys = d / 4 + (3 * d + block - 1) / block, values = d / 4 + 3 * (d / valueGroup);
                    yield fp16 * 4 * d + t * (keys + values);
                }
                default -> 8 * d * t;
            };
            total += perHead * config.numKeyValueHeads();
        }
        return total;
    };

    /** K and V bytes of one quantized token of one head: codes, and a 2-byte scale and 1-byte zero per group. */
    private static long quantized(long headDim, int bits, int group) {
        long codes = new GroupQuantizer(bits, 1f).packedBytes((int) headDim);
        return 2 * (codes + 3 * (headDim / group));
    }
}
