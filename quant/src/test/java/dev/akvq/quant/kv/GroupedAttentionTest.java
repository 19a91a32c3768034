package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.tensor.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyValueStore#attendGroup} (all query heads of one KV head in one pass) against
 * {@link KeyValueStore#attend} per head, for every store: FP32 and FP16 rows, RTN-2, AKVQ-VL
 * (windows, pivots, TSA/PSA), KIVI-2 (value groups narrower and wider than the lanes), the
 * rotation wrapper, mid-prefill (the FP32 copy) and the interface's default; random GQA ratios
 * 1..8, head counts, head_dim, lengths and token ranges. Equal bit for bit: probabilities and
 * outputs (the decoder's traced attention probabilities must not move).
 */
class GroupedAttentionTest {

    /** A store with only {@code attend}: exercises the interface's default {@code attendGroup}. */
    private record AttendOnly(KeyValueStore inner) implements KeyValueStore {
        public int kvHeads() { return inner.kvHeads(); }
        public int headDim() { return inner.headDim(); }
        public int length() { return inner.length(); }
        public void append(float[] k, int ko, float[] v, int vo, CachedToken t) { inner.append(k, ko, v, vo, t); }
        public void attend(float[] q, int qo, int kvHead, int from, int to, float scale, float[] p, float[] out, int oo) {
            inner.attend(q, qo, kvHead, from, to, scale, p, out, oo);
        }
        public float[] keysForTrace() { return inner.keysForTrace(); }
        public float[] valuesForTrace() { return inner.valuesForTrace(); }
        public long bytes() { return inner.bytes(); }
    }

    private static KeyValueStore anyStore(SplittableRandom r, int kvHeads, int headDim) {
        return switch (r.nextInt(6)) {
            case 0 -> new DenseKeyValueStore(DType.F32, kvHeads, headDim);
            case 1 -> new DenseKeyValueStore(DType.F16, kvHeads, headDim);
            case 2 -> {
                int group = headDim >= 32 && r.nextBoolean() ? 32 : headDim;
                yield new KiviKeyValueStore(kvHeads, headDim, r.nextBoolean() ? 2 : 4, group, group * (1 + r.nextInt(3)), r.nextBoolean());
            }
            case 3 -> new AttendOnly(new DenseKeyValueStore(DType.F16, kvHeads, headDim));
            default -> QuantizedStoresTest.randomStore(r, kvHeads, headDim);
        };
    }

    @Test
    void groupedAttentionEqualsPerHeadAttentionForEveryStore() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int kvHeads = 1 + r.nextInt(3), ratio = 1 + r.nextInt(8), headDim = 4 << r.nextInt(6);
            int length = 1 + r.nextInt(r.nextBoolean() ? 40 : 300);
            KeyValueStore store = anyStore(r, kvHeads, headDim);
            if (r.nextInt(4) == 0) store = new RotatedKeyValueStore(store);
            String what = "seed " + seed + " " + store + " ratio " + ratio + " head_dim " + headDim;
            boolean midPrefill = r.nextInt(5) == 0;
            if (midPrefill) {
                // Mid-prefill: the prompt's own attention (an unquantized copy where the store keeps one).
                store.beginPrefill(new float[length * 8], length, 8);
                float[] k = new float[kvHeads * headDim], v = new float[k.length];
                for (int t = 0; t < length; t++) {
                    for (int i = 0; i < k.length; i++) {
                        k[i] = (float) r.nextGaussian();
                        v[i] = (float) r.nextGaussian();
                    }
                    store.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
                }
            } else {
                QuantizedStoresTest.fill(r, store, length, r.nextInt(length + 1), 8);
            }
            int to = 1 + r.nextInt(length), from = r.nextInt(to), n = to - from, kvHead = r.nextInt(kvHeads);
            int qo = r.nextInt(5), oo = r.nextInt(5);
            float[] queries = new float[qo + ratio * headDim];
            for (int i = 0; i < queries.length; i++) queries[i] = (float) (r.nextGaussian() * (i % 5 == 0 ? 6 : 1));
            float scale = (float) (1 / Math.sqrt(headDim));
            float[] p = new float[ratio * n + 3], out = new float[oo + ratio * headDim + 2];
            store.attendGroup(queries, qo, ratio, kvHead, from, to, scale, p, out, oo);
            for (int h = 0; h < ratio; h++) {
                float[] ph = new float[n], oh = new float[headDim];
                store.attend(queries, qo + h * headDim, kvHead, from, to, scale, ph, oh, 0);
                assertSameBits(ph, 0, p, h * n, n, what + ", [" + from + ", " + to + "), head " + h + " probabilities");
                assertSameBits(oh, 0, out, oo + h * headDim, headDim, what + ", head " + h + " output");
            }
        });
    }

    @Test
    void theComparisonCatchesOneUlp() {
        float[] a = {1f, 2f, 3f}, b = a.clone();
        b[1] = Math.nextUp(b[1]);
        assertThrows(AssertionError.class, () -> assertSameBits(a, 0, b, 0, 3, "one ulp"));
        assertSameBits(a, 0, a.clone(), 0, 3, "itself");
    }

    @Test
    void rejectsTooFewProbabilitiesAndEmptyGroups() {
        KeyValueStore store = new DenseKeyValueStore(DType.F32, 1, 4);
        store.append(new float[4], 0, new float[4], 0, new CachedToken(0, Modality.TEXT, false));
        store.append(new float[4], 0, new float[4], 0, new CachedToken(1, Modality.TEXT, false));
        assertThrows(IllegalArgumentException.class, () -> store.attendGroup(new float[8], 0, 2, 0, 0, 2, 1f, new float[3], new float[8], 0));
        assertThrows(IllegalArgumentException.class, () -> store.attendGroup(new float[8], 0, 0, 0, 0, 2, 1f, new float[4], new float[8], 0));
    }

    static void assertSameBits(float[] expected, int eo, float[] actual, int ao, int n, String what) {
        for (int i = 0; i < n; i++) {
            if (Float.floatToIntBits(expected[eo + i]) != Float.floatToIntBits(actual[ao + i])) {
                throw new AssertionError(what + " [" + i + "]: per-head " + expected[eo + i] + ", grouped " + actual[ao + i]);
            }
        }
    }
}
