package dev.akvq.engine;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
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
     *   <li>rtn2, rtn4: at most {@code window} tokens FP16, the rest quantized at 2 or 4 bits;</li>
     *   <li>akvq: at most {@code window + pivots} tokens FP16 (the pivots only in PSA layers), the
     *       rest INT4 in TSA layers (the text rate, above vision's INT2) and INT2 in PSA layers;</li>
     *   <li>akvq-kc: as akvq, with each quantized token's key at {@code d·b/8} bytes of codes and, per
     *       channel and block of {@code keyBlock} tokens, an FP16 scale and minimum ({@code 4d/keyBlock} bytes a
     *       token, rounded up); a segment's keys wait FP16 until its block fills, so up to {@code keyBlock − 1}
     *       tokens per segment (INT2 and INT4: two) add {@code 2d} bytes each;</li>
     *   <li>sink, smoothquant, skvq: at most {@code window} (+ {@code sink} for sink and skvq) tokens
     *       FP16, the rest bounded at INT4 with its group's scale and zero point;</li>
     *   <li>kivi2, kivi4: at most {@code residual + group} tokens FP16 (the key residual grows a block
     *       past the residual before a block is quantized), every other token at INT4 plus KIVI's FP16
     *       minimum and scale (32 bits) per key group (one channel over {@code group} tokens) and per
     *       value group ({@code min(group, d)} channels of a token).</li>
     * </ul>
     * {@code BatchSchedulerTest} checks the bound against real stores over random settings and lengths.
     */
    KvProjection UPPER_BOUND = (settings, config, tokens) -> {
        long d = config.headDim(), t = tokens, total = 0;
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            long perHead = switch (settings.mode()) {
                case FP32 -> 8 * d * t;
                case FP16 -> 4 * d * t;
                case RTN2, RTN4 -> {
                    long fp16 = Math.min(t, settings.window());
                    int bits = settings.mode() == KvMode.RTN2 ? 2 : 4;
                    yield fp16 * 4 * d + (t - fp16) * quantized(d, bits, settings.groupFor(config.headDim()));
                }
                case AKVQ -> {
                    LayerPattern pattern = settings.layers().pattern(layer);
                    long fp16 = Math.min(t, settings.window() + (pattern == LayerPattern.PSA ? settings.pivots() : 0));
                    int bits = pattern == LayerPattern.TSA ? 4 : 2;
                    yield fp16 * 4 * d + (t - fp16) * quantized(d, bits, settings.groupFor(config.headDim()));
                }
                case AKVQ_KC -> {
                    LayerPattern pattern = settings.layers().pattern(layer);
                    long fp16 = Math.min(t, settings.window() + (pattern == LayerPattern.PSA ? settings.pivots() : 0));
                    int bits = pattern == LayerPattern.TSA ? 4 : 2, group = settings.groupFor(config.headDim());
                    long block = settings.keyBlock(), quantized = t - fp16, codes = d * bits / 8;
                    long values = quantized * (codes + 3 * (d / group));
                    long keys = quantized * codes + (4 * d * quantized + block - 1) / block + Math.min(quantized, 2 * (block - 1)) * 2 * d;
                    yield fp16 * 4 * d + values + keys;
                }
                case SINK, SMOOTHQUANT, SKVQ -> {
                    KvMode m = settings.mode();
                    long fp16 = Math.min(t, settings.window() + (m == KvMode.SINK || m == KvMode.SKVQ ? settings.sink() : 0));
                    yield fp16 * 4 * d + (t - fp16) * quantized(d, 4, Math.min(settings.group(), config.headDim()));
                }
                case KIVI2, KIVI4 -> {
                    long group = settings.group(), valueGroup = Math.min(group, d);
                    long fp16 = Math.min(t, settings.residual() + group);
                    long keys = d / 2 + (4 * d + group - 1) / group, values = d / 2 + 4 * ((d + valueGroup - 1) / valueGroup);
                    yield fp16 * 4 * d + (t - fp16) * (keys + values);
                }
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
