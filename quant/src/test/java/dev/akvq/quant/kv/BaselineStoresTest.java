package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.KiviQuantizer;
import dev.akvq.tensor.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The baselines beside AKVQ-VL (rtn4, sink, smoothquant, skvq: {@link MixedPrecisionKeyValueStore#perToken} and
 * {@link ChannelMappedKeyValueStore}; kivi2/kivi4: {@link KiviKeyValueStore} with KIVI's own
 * quantizer): what each store decodes lies within its quantizer's bound of what it was given (half
 * a step inside the representable range, plus the distance to that range outside it) and the
 * exact bits per value; {@link QuantizedStoresTest} holds their attention to {@link ReferenceAttention}.
 */
class BaselineStoresTest {

    static KeyValueStore randomChannelMapped(SplittableRandom r, int kvHeads, int headDim, int group) {
        float[] divisors = new float[kvHeads * headDim];
        for (int i = 0; i < divisors.length; i++) divisors[i] = (float) Math.exp(r.nextGaussian());
        int[][] keyOrder = new int[kvHeads][], valueOrder = new int[kvHeads][];
        for (int h = 0; h < kvHeads; h++) {
            keyOrder[h] = permutation(r, headDim);
            valueOrder[h] = permutation(r, headDim);
        }
        return new ChannelMappedKeyValueStore(MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, 2, group, 1f, r.nextInt(5), r.nextInt(30),
                r.nextBoolean()), divisors, keyOrder, valueOrder);
    }

    private static int[] permutation(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static float half(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** The engine quantizer's bound for value {@code x} of a group quantized from {@code group}: s/2 inside the range, plus the distance outside. */
    static double groupBound(GroupQuantizer quantizer, float[] group, float x) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : group) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        int params = quantizer.parameters(min, max);
        double s = GroupQuantizer.scale(params), z = GroupQuantizer.zero(params);
        double lo = -z * s, hi = (quantizer.levels() - z) * s;
        return s / 2 + Math.max(0, Math.max(lo - x, x - hi)) + 1e-6 * Math.max(Math.abs(lo), Math.abs(hi));
    }

    @Test
    void perTokenStoresDecodeWithinTheQuantizersBound() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int heads = 1 + r.nextInt(2), dim = 8 << r.nextInt(3), group = Math.max(4, dim >> r.nextInt(2));
            int bits = r.nextBoolean() ? 2 : 4, sink = r.nextInt(5), window = r.nextInt(20), length = 1 + r.nextInt(90);
            int prompt = r.nextInt(length + 1);
            float clip = r.nextBoolean() ? 1f : 0.8f;
            GroupQuantizer quantizer = new GroupQuantizer(bits, clip);
            MixedPrecisionKeyValueStore store = MixedPrecisionKeyValueStore.perToken(heads, dim, bits, group, clip, sink, window, r.nextBoolean());
            QuantizedStoresTest.Filled f = QuantizedStoresTest.fill(r, store, length, prompt, 4);
            float[] keys = store.keysForTrace(), values = store.valuesForTrace();
            int quantized = 0;
            for (int t = 0; t < length; t++) {
                boolean fp16 = t < sink || t >= length - window;
                assertEquals(!fp16, store.quantized(t), "seed " + seed + ": token " + t + "'s segment");
                // Tokens that were in the window reach the quantizer from their FP16 row; the others from FP32.
                boolean viaWindow = window > 0 && t >= prompt - window;
                for (int h = 0; h < heads; h++) {
                    for (int g = 0; g < dim; g += group) {
                        float[] kIn = QuantizedStoresTest.quantizerInput(f.keys()[t], h * dim + g, group, viaWindow);
                        float[] vIn = QuantizedStoresTest.quantizerInput(f.values()[t], h * dim + g, group, viaWindow);
                        for (int i = 0; i < group; i++) {
                            int at = (h * length + t) * dim + g + i;
                            if (fp16) {
                                assertEquals(half(f.keys()[t][h * dim + g + i]), keys[at], "fp16 key " + t);
                                assertEquals(half(f.values()[t][h * dim + g + i]), values[at], "fp16 value " + t);
                            } else {
                                assertTrue(Math.abs(keys[at] - kIn[i]) <= groupBound(quantizer, kIn, kIn[i]),
                                        "seed " + seed + ": key " + t + "," + (g + i) + " " + keys[at] + " vs " + kIn[i]);
                                assertTrue(Math.abs(values[at] - vIn[i]) <= groupBound(quantizer, vIn, vIn[i]),
                                        "seed " + seed + ": value " + t + "," + (g + i));
                            }
                        }
                    }
                }
                if (!fp16) quantized++;
            }
            // Exact bits: codes, a 2-byte scale and a 1-byte zero per group, 16 bits per FP16 value.
            long values2 = 2L * heads * dim;
            double expected = (quantized * values2 * (bits + 24.0 / group) + (length - quantized) * values2 * 16) / (length * values2);
            assertEquals(expected, store.footprint().bitsPerValue(), 1e-9, "bits per value");
            assertEquals(5L * length, store.bookkeepingBytes());
        });
    }

    @Test
    void kiviDecodesWithinKivisQuantizerBound() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int heads = 1 + r.nextInt(2), dim = 16 << r.nextInt(2), group = r.nextBoolean() ? 8 : 16, residual = group * (1 + r.nextInt(4));
            int bits = r.nextBoolean() ? 2 : 4, length = 1 + r.nextInt(150), prompt = r.nextInt(length + 1);
            KiviQuantizer quantizer = new KiviQuantizer(bits);
            KiviKeyValueStore store = new KiviKeyValueStore(heads, dim, bits, group, residual, r.nextBoolean());
            QuantizedStoresTest.Filled f = QuantizedStoresTest.fill(r, store, length, prompt, 4);
            float[] keys = store.keysForTrace(), values = store.valuesForTrace();
            var segments = store.footprint().segments();
            int keysQuantized = (int) segments.get(0).tokens(), valuesQuantized = (int) segments.get(1).tokens();
            // Prefill quantizes the keys of the first n − n mod R prompt tokens and the values of all but the last R
            // from FP32; every other token is quantized later from its FP16 residual row.
            int keysFromFp32 = prompt - prompt % residual, valuesFromFp32 = Math.max(0, prompt - residual);
            for (int h = 0; h < heads; h++) {
                // Keys: one group per channel and block of `group` tokens.
                for (int b = 0; b < keysQuantized; b += group) {
                    for (int c = 0; c < dim; c++) {
                        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                        float[] in = new float[group];
                        for (int t = b; t < b + group; t++) {
                            in[t - b] = t < keysFromFp32 ? f.keys()[t][h * dim + c] : half(f.keys()[t][h * dim + c]);
                            min = Math.min(min, in[t - b]);
                            max = Math.max(max, in[t - b]);
                        }
                        int params = quantizer.parameters(min, max);
                        for (int t = b; t < b + group; t++) {
                            float seen = keys[(h * length + t) * dim + c];
                            assertTrue(Math.abs(seen - in[t - b]) <= quantizer.errorBound(params, in[t - b]),
                                    "seed " + seed + ": key " + t + "," + c + " " + seen + " vs " + in[t - b]);
                        }
                    }
                }
                for (int t = keysQuantized; t < length; t++) {
                    for (int c = 0; c < dim; c++) assertEquals(half(f.keys()[t][h * dim + c]), keys[(h * length + t) * dim + c]);
                }
                // Values: one group per token and `group` channels.
                int vg = Math.min(group, dim);
                for (int t = 0; t < length; t++) {
                    for (int g = 0; g < dim; g += vg) {
                        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < vg; i++) {
                            float v = t < valuesFromFp32 ? f.values()[t][h * dim + g + i] : half(f.values()[t][h * dim + g + i]);
                            min = Math.min(min, v);
                            max = Math.max(max, v);
                        }
                        int params = quantizer.parameters(min, max);
                        for (int i = 0; i < vg; i++) {
                            float given = f.values()[t][h * dim + g + i], in = t < valuesFromFp32 ? given : half(given);
                            float seen = values[(h * length + t) * dim + g + i];
                            if (t < valuesQuantized) {
                                assertTrue(Math.abs(seen - in) <= quantizer.errorBound(params, in), "seed " + seed + ": value " + t);
                            } else {
                                assertEquals(half(given), seen, "fp16 value " + t);
                            }
                        }
                    }
                }
            }
            // Exact bits: codes plus 32 bits (FP16 minimum and scale) per group, FP16 rows in the residual.
            double bitsK = keysQuantized * (bits + 32.0 / group) + (length - keysQuantized) * 16.0;
            double bitsV = valuesQuantized * (bits + 32.0 / Math.min(group, dim)) + (length - valuesQuantized) * 16.0;
            assertEquals((bitsK + bitsV) / (2.0 * length), store.footprint().bitsPerValue(), 1e-9, "bits per value");
        });
    }

    @Test
    void kivisQuantizerKeepsTheMinimumAndRoundsTheScaleToNearest() {
        KiviQuantizer q = new KiviQuantizer(2);
        int p = q.parameters(-1.2f, 2.0f);
        assertEquals(-1.2f, KiviQuantizer.minimum(p), 1e-3);
        assertEquals(half(3.2f / 3), KiviQuantizer.scale(p));
        assertEquals(0, q.quantize(-1.2f, p));
        assertEquals(3, q.quantize(2.0f, p));
        assertEquals(1, q.quantize(-0.3f, p));              // (−0.3 + 1.2) / 1.0667 = 0.84 → 1
        int constant = q.parameters(0.7f, 0.7f);
        assertEquals(0f, KiviQuantizer.scale(constant));
        assertEquals(half(0.7f), KiviQuantizer.dequantize(q.quantize(0.7f, constant), constant));
        assertThrows(IllegalArgumentException.class, () -> q.parameters(Float.NaN, 1f));
        assertThrows(IllegalArgumentException.class, () -> new KiviQuantizer(3));
    }

    @Test
    void channelMappingLeavesAttentionUnchanged() {
        SplittableRandom r = new SplittableRandom(17);
        int heads = 2, dim = 16, n = 25;
        DenseKeyValueStore plain = new DenseKeyValueStore(DType.F32, heads, dim);
        KeyValueStore mapped = new ChannelMappedKeyValueStore(new DenseKeyValueStore(DType.F32, heads, dim),
                randomDivisors(r, heads * dim), new int[][] {permutation(r, dim), permutation(r, dim)},
                new int[][] {permutation(r, dim), permutation(r, dim)});
        for (int t = 0; t < n; t++) {
            float[] k = new float[heads * dim], v = new float[heads * dim];
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) r.nextGaussian();
                v[i] = (float) r.nextGaussian();
            }
            plain.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
            mapped.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
        }
        float[] q = new float[2 * dim];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] pa = new float[2 * n], oa = new float[2 * dim], pb = new float[2 * n], ob = new float[2 * dim];
        plain.attendGroup(q, 0, 2, 1, 0, n, 0.25f, pa, oa, 0);
        mapped.attendGroup(q, 0, 2, 1, 0, n, 0.25f, pb, ob, 0);
        for (int j = 0; j < 2 * n; j++) assertEquals(pa[j], pb[j], 1e-5, "probability " + j);
        for (int i = 0; i < 2 * dim; i++) assertEquals(oa[i], ob[i], 1e-5, "output " + i);
        float[] kp = plain.keysForTrace(), km = mapped.keysForTrace(), vp = plain.valuesForTrace(), vm = mapped.valuesForTrace();
        for (int i = 0; i < kp.length; i++) {
            assertEquals(kp[i], km[i], 1e-6 * Math.max(1, Math.abs(kp[i])), "key trace " + i);
            assertEquals(vp[i], vm[i], "value trace " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> new ChannelMappedKeyValueStore(plain, new float[heads * dim],
                ChannelMappedKeyValueStore.identityOrder(heads, dim), ChannelMappedKeyValueStore.identityOrder(heads, dim)));
    }

    private static float[] randomDivisors(SplittableRandom r, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) Math.exp(2 * r.nextGaussian());
        return d;
    }

    @Test
    void channelStatisticsGiveSmoothingDivisorsAndRangeOrder() {
        KvChannelStatistics s = new KvChannelStatistics(1, 1, 4);
        s.addKeys(0, new float[] {1, -16, 4, 0}, 1);
        s.addValues(0, new float[] {0.5f, 2, -3, 1}, 1);
        s.addQueries(0, new float[] {4, 1, -1, 0}, 1, 1);
        float[] d = s.smoothingDivisors(0, 0.5f);
        assertEquals(Math.sqrt(1.0 / 4), d[0], 1e-6);
        assertEquals(Math.sqrt(16.0 / 1), d[1], 1e-6);
        assertEquals(1f, d[3], "a channel never seen keeps divisor 1");
        assertEquals(java.util.List.of(1, 2, 0, 3), java.util.Arrays.stream(s.channelOrder(0, true)[0]).boxed().toList());
        assertEquals(java.util.List.of(2, 1, 3, 0), java.util.Arrays.stream(s.channelOrder(0, false)[0]).boxed().toList());
        assertEquals(16.0 / 4, s.keyOutlierRatio(0, 0), 1e-9);
    }
}
