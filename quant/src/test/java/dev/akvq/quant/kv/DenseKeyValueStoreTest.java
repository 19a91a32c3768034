package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.tensor.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The dense stores against plain attention computed in double over the values they store
 * (F32 as given, F16 rounded to nearest-even), for random head counts, head sizes, lengths and
 * windows; the trace view returns what was stored; growth keeps earlier tokens.
 */
class DenseKeyValueStoreTest {

    @Test
    void attentionEqualsTheDoubleOracleOverTheStoredValues() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            DType dtype = r.nextBoolean() ? DType.F32 : DType.F16;
            int kvHeads = 1 + r.nextInt(3), headDim = 1 + r.nextInt(70), length = 1 + r.nextInt(40);
            DenseKeyValueStore store = new DenseKeyValueStore(dtype, kvHeads, headDim);
            float[][] k = new float[length][kvHeads * headDim], v = new float[length][kvHeads * headDim];
            for (int t = 0; t < length; t++) {
                for (int i = 0; i < kvHeads * headDim; i++) {
                    k[t][i] = (float) r.nextGaussian();
                    v[t][i] = (float) r.nextGaussian();
                }
                store.append(k[t], 0, v[t], 0, new CachedToken(t, Modality.TEXT, false));
            }
            assertEquals(length, store.length());
            int head = r.nextInt(kvHeads), to = 1 + r.nextInt(length), from = r.nextInt(to);
            float[] q = new float[headDim];
            for (int i = 0; i < headDim; i++) q[i] = (float) (2 * r.nextGaussian());
            float scale = (float) (1 / Math.sqrt(headDim));
            float[] p = new float[length], out = new float[headDim + 1];
            store.attend(q, 0, head, from, to, scale, p, out, 1);

            double[] scores = new double[to - from];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = from; j < to; j++) {
                double s = 0;
                for (int i = 0; i < headDim; i++) s += (double) q[i] * stored(dtype, k[j][head * headDim + i]);
                scores[j - from] = s * scale;
                max = Math.max(max, scores[j - from]);
            }
            for (int j = 0; j < scores.length; j++) sum += scores[j] = Math.exp(scores[j] - max);
            for (int j = 0; j < scores.length; j++) {
                scores[j] /= sum;
                assertEquals(scores[j], p[j], 1e-5, "probability " + j);
            }
            for (int i = 0; i < headDim; i++) {
                double ref = 0, mag = 0;
                for (int j = from; j < to; j++) {
                    double term = scores[j - from] * stored(dtype, v[j][head * headDim + i]);
                    ref += term;
                    mag += Math.abs(term);
                }
                assertEquals(ref, out[1 + i], 1e-5 * Math.max(mag, 1e-3), "output " + i);
            }
        });
    }

    private static double stored(DType dtype, float x) {
        return dtype == DType.F32 ? x : Float.float16ToFloat(Float.floatToFloat16(x));
    }

    @Test
    void traceViewReturnsWhatWasStoredHeadMajorAcrossGrowth() {
        DenseKeyValueStore store = new DenseKeyValueStore(DType.F32, 2, 3);
        int n = 40;     // past the initial capacity of 16 rows
        for (int t = 0; t < n; t++) {
            float[] k = new float[6], v = new float[6];
            for (int i = 0; i < 6; i++) {
                k[i] = t * 10 + i;
                v[i] = -(t * 10 + i);
            }
            store.append(k, 0, v, 0, new CachedToken(t, Modality.VISION, false));
        }
        float[] keys = store.keysForTrace(), values = store.valuesForTrace();
        assertEquals(2 * n * 3, keys.length);
        // [head 1, token 39, channel 2] = 39 * 10 + 3 + 2
        assertEquals(395f, keys[(1 * n + 39) * 3 + 2]);
        assertEquals(-395f, values[(1 * n + 39) * 3 + 2]);
        assertEquals(2L * 2 * n * 3 * 4, store.bytes());
    }

    @Test
    void f16StoreHalvesTheBytesAndRoundsToNearestEven() {
        DenseKeyValueStore store = new DenseKeyValueStore(DType.F16, 1, 2);
        store.append(new float[] {1.0f + 0x1p-11f, 70000f}, 0, new float[] {0.1f, -0f}, 0, new CachedToken(0, Modality.TEXT, false));
        assertArrayEquals(new float[] {1.0f, Float.POSITIVE_INFINITY}, store.keysForTrace());
        assertEquals(2L * 2 * 2, store.bytes());
    }

    /**
     * Closing returns the rows' off-heap memory at once (an automatic arena would keep it until a
     * GC that off-heap rows never trigger): reading the rows afterwards fails with the arena's
     * error, not with stale values, across growth too.
     */
    @Test
    void closeFreesTheRowsAtOnce() {
        DenseKeyValueStore store = new DenseKeyValueStore(DType.F32, 2, 3);
        for (int t = 0; t < 40; t++) store.append(new float[6], 0, new float[6], 0, new CachedToken(t, Modality.TEXT, false));
        store.keysForTrace();
        store.close();
        assertThrows(IllegalStateException.class, store::keysForTrace);
        store.close();  // idempotent
    }

    @Test
    void attendOutsideTheStoredTokensIsAnError() {
        DenseKeyValueStore store = new DenseKeyValueStore(DType.F32, 1, 4);
        store.append(new float[4], 0, new float[4], 0, new CachedToken(0, Modality.TEXT, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.attend(new float[4], 0, 0, 0, 2, 1f, new float[2], new float[4], 0));
        assertTrue(e.getMessage().contains("outside the 1 stored"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DenseKeyValueStore(DType.BF16, 1, 4));
    }
}
