package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.Hadamard;
import dev.akvq.quant.KiviQuantizer;
import dev.akvq.tensor.DType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The quantized stores (RTN-2, KIVI-2, AKVQ-VL, akvq-kc) against plain attention computed in double over what
 * they say attention sees (their trace views), for random shapes, lengths, windows, pivots, layer
 * patterns, modality mixes and prefill/decode splits; the lifecycle of each (which token sits in
 * which segment when); the rotation wrapper against the unrotated store.
 */
class QuantizedStoresTest {

    /** A store under test and the (unrotated) K/V rows it was given. */
    record Filled(KeyValueStore store, float[][] keys, float[][] values, int prompt, Modality[] modality) {}

    static Filled fill(SplittableRandom r, KeyValueStore store, int length, int prompt, int hidden) {
        int width = store.kvHeads() * store.headDim();
        float[][] k = new float[length][width], v = new float[length][width];
        Modality[] modality = new Modality[length];
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < width; i++) {
                k[t][i] = (float) (r.nextGaussian() * (i % 7 == 3 ? 8 : 1));     // a few outlier channels
                v[t][i] = (float) r.nextGaussian();
            }
            modality[t] = t < prompt && r.nextInt(3) == 0 ? Modality.VISION : Modality.TEXT;
        }
        float[] residual = new float[prompt * hidden];
        for (int i = 0; i < residual.length; i++) residual[i] = (float) r.nextGaussian();
        for (int p = 0; p < 3 && prompt > 0; p++) residual[r.nextInt(residual.length)] = 50 + r.nextInt(50);   // massive activations
        if (prompt > 0) {
            store.beginPrefill(residual, prompt, hidden);
            for (int t = 0; t < prompt; t++) store.append(k[t], 0, v[t], 0, new CachedToken(t, modality[t], false));
            store.endPrefill();
        }
        for (int t = prompt; t < length; t++) store.append(k[t], 0, v[t], 0, new CachedToken(t, modality[t], true));
        return new Filled(store, k, v, prompt, modality);
    }

    static KeyValueStore randomStore(SplittableRandom r, int kvHeads, int headDim) {
        int group = Math.max(4, headDim >> r.nextInt(3));
        return switch (r.nextInt(8)) {
            case 4 -> new DenseKeyValueStore(DType.F16, kvHeads, headDim);
            case 5 -> new DenseKeyValueStore(DType.F32, kvHeads, headDim);
            case 0 -> new MixedPrecisionKeyValueStore(kvHeads, headDim, group, LayerPattern.PSA, 0, 0, PivotRule.ENTRIES, 1f, 1f,
                    r.nextBoolean());
            case 1 -> new KiviKeyValueStore(kvHeads, headDim, r.nextBoolean() ? 2 : 4, Math.min(32, headDim), 32 * (1 + r.nextInt(4)),
                    r.nextBoolean());
            case 2 -> MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, r.nextBoolean() ? 2 : 4, group, r.nextBoolean() ? 1f : 0.9f,
                    r.nextInt(6), r.nextInt(40), r.nextBoolean());
            case 3 -> BaselineStoresTest.randomChannelMapped(r, kvHeads, headDim, group);
            case 6 -> MixedPrecisionKeyValueStore.channelKeys(kvHeads, headDim, group, 1 << r.nextInt(6),
                    r.nextBoolean() ? LayerPattern.TSA : LayerPattern.PSA, r.nextInt(40), r.nextInt(6),
                    r.nextBoolean() ? PivotRule.ENTRIES : PivotRule.TOKENS, 0.8f, 1f, r.nextBoolean());
            default -> new MixedPrecisionKeyValueStore(kvHeads, headDim, group,
                    r.nextBoolean() ? LayerPattern.TSA : LayerPattern.PSA, r.nextInt(40), r.nextInt(6),
                    r.nextBoolean() ? PivotRule.ENTRIES : PivotRule.TOKENS, 0.8f, 1f, r.nextBoolean());
        };
    }

    @Test
    void attentionFromCodesEqualsDoubleAttentionOverWhatTheStoreHolds() {
        qt().withExamples(150).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int kvHeads = 1 + r.nextInt(3), headDim = 4 << r.nextInt(6), length = 1 + r.nextInt(r.nextBoolean() ? 40 : 300);
            KeyValueStore store = randomStore(r, kvHeads, headDim);
            if (r.nextInt(4) == 0) store = new RotatedKeyValueStore(store);
            Filled f = fill(r, store, length, r.nextInt(length + 1), 8);
            assertEquals(length, store.length());
            assertAttentionMatchesTrace(r, store, "seed " + seed + " " + store.getClass().getSimpleName());
        });
    }

    private static final double U = 0x1p-24;

    /**
     * attendGroup() for a group of query heads against {@link ReferenceAttention} (the store's
     * dequantize-and-attend twin) for each head. The bound is float rounding only: both sides see the
     * same decoded keys and values, so a logit may differ by {@code (headDim + 4)·u·scale·Σ|qᵢ k'ᵢ|}
     * (the code-times-weight products and their float sum), which moves a probability by at most
     * twice the largest such error relative to itself, plus the softmax's own {@code (n + 8)·u}; an
     * output by those relative errors of the rows it averages, plus the float weighted sum's
     * {@code (n + 8)·u}. A wrong code, scale, zero point or segment is far outside it.
     */
    static void assertAttentionMatchesTrace(SplittableRandom r, KeyValueStore store, String what) {
        int headDim = store.headDim(), length = store.length();
        int head = r.nextInt(store.kvHeads()), to = 1 + r.nextInt(length), from = r.nextInt(to), group = 1 + r.nextInt(3);
        if (r.nextBoolean()) {
            from = 0;
            to = length;
        }
        int n = to - from;
        float[] q = new float[group * headDim];
        for (int i = 0; i < q.length; i++) q[i] = (float) (r.nextGaussian());
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] p = new float[group * n], out = new float[group * headDim + 2];
        store.attendGroup(q, 0, group, head, from, to, scale, p, out, 2);
        // The twin below attends over the rotated rows; a rotating store rotates its outputs back (H H = I).
        if (store instanceof RotatedKeyValueStore) Hadamard.transformEach(out, 2, group, headDim);
        float[] keys = store.keysForTrace(), values = store.valuesForTrace();
        for (int h = 0; h < group; h++) {
            float[] qSeen = java.util.Arrays.copyOfRange(q, h * headDim, (h + 1) * headDim);
            if (store instanceof RotatedKeyValueStore) Hadamard.transform(qSeen, 0, headDim);
            KeyValueStore twin = store instanceof RotatedKeyValueStore rotated ? rotated.inner() : store;
            double[] ref = new double[n], refOut = new double[headDim];
            ReferenceAttention.attend(twin, qSeen, 0, head, from, to, scale, ref, refOut);
            double logitErr = 0;
            for (int j = from; j < to; j++) {
                double abs = 0;
                for (int i = 0; i < headDim; i++) abs += Math.abs((double) qSeen[i] * keys[(head * length + j) * headDim + i]);
                logitErr = Math.max(logitErr, (headDim + 4) * U * scale * abs);
            }
            double relative = 2 * logitErr + (n + 8) * U;
            double mag = 0;
            for (int j = from; j < to; j++) {
                double rowMax = 0;
                for (int i = 0; i < headDim; i++) rowMax = Math.max(rowMax, Math.abs(values[(head * length + j) * headDim + i]));
                mag += ref[j - from] * rowMax;
                assertEquals(ref[j - from], p[h * n + j - from], relative * ref[j - from] + 1e-30, what + ": head " + h + " probability " + j);
            }
            for (int i = 0; i < headDim; i++) {
                assertEquals(refOut[i], out[2 + h * headDim + i], (relative + (n + 8) * U) * mag + 1e-30,
                        what + ": head " + h + " output " + i + " of [" + from + ", " + to + ")");
            }
        }
    }

    /** The twin check fails on a wrong answer: a store whose attention is off by one code step is caught. */
    @Test
    void theTwinCheckCanFail() {
        SplittableRandom r = new SplittableRandom(3);
        KeyValueStore good = new MixedPrecisionKeyValueStore(1, 16, 16, LayerPattern.PSA, 0, 0, PivotRule.ENTRIES, 1f, 1f, false);
        fill(r, good, 20, 10, 8);
        KeyValueStore wrong = new KeyValueStore() {
            public int kvHeads() { return 1; }
            public int headDim() { return 16; }
            public int length() { return good.length(); }
            public void append(float[] k, int ko, float[] v, int vo, CachedToken t) { throw new UnsupportedOperationException(); }
            public void attend(float[] q, int qo, int h, int from, int to, float scale, float[] p, float[] out, int oo) {
                good.attend(q, qo, h, from, to, scale, p, out, oo);
                out[oo] += 1e-3f;     // a slightly wrong output
            }
            public float[] keysForTrace() { return good.keysForTrace(); }
            public float[] valuesForTrace() { return good.valuesForTrace(); }
            public long bytes() { return good.bytes(); }
        };
        assertThrows(AssertionError.class, () -> {
            for (int i = 0; i < 20; i++) assertAttentionMatchesTrace(new SplittableRandom(i), wrong, "wrong");
        });
    }

    @Test
    void prefillAttendsOverTheUnquantizedPromptUnlessAskedOtherwise() {
        SplittableRandom r = new SplittableRandom(7);
        int heads = 2, dim = 16, n = 50;
        for (boolean quantized : new boolean[] {false, true}) {
            KeyValueStore store = new MixedPrecisionKeyValueStore(heads, dim, 16, LayerPattern.PSA, 8, 2, PivotRule.ENTRIES, 0.8f, 1f, quantized);
            DenseKeyValueStore dense = new DenseKeyValueStore(DType.F32, heads, dim);
            store.beginPrefill(new float[n * 4], n, 4);
            for (int t = 0; t < n; t++) {
                float[] k = new float[heads * dim], v = new float[heads * dim];
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) r.nextGaussian();
                    v[i] = (float) r.nextGaussian();
                }
                store.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
                dense.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
            }
            float[] q = new float[dim];
            for (int i = 0; i < dim; i++) q[i] = (float) r.nextGaussian();
            float[] pa = new float[n], oa = new float[dim], pb = new float[n], ob = new float[dim];
            store.attend(q, 0, 1, 0, n, 0.25f, pa, oa, 0);
            dense.attend(q, 0, 1, 0, n, 0.25f, pb, ob, 0);
            double diff = 0;
            for (int i = 0; i < dim; i++) diff = Math.max(diff, Math.abs(oa[i] - ob[i]));
            if (quantized) assertTrue(diff > 1e-3, "attention over the quantized prompt differs from FP32: " + diff);
            else assertEquals(0, diff, "attention over the unquantized prompt equals FP32 exactly");
            store.endPrefill();
        }
    }

    @Test
    void akvqLifecyclePutsEachTokenInItsSegment() {
        SplittableRandom r = new SplittableRandom(3);
        int prompt = 300, decode = 20, window = 128;
        for (LayerPattern pattern : LayerPattern.values()) {
            MixedPrecisionKeyValueStore store = new MixedPrecisionKeyValueStore(2, 32, 32, pattern, window, 15, PivotRule.ENTRIES,
                    0.8f, 1f, false);
            Filled f = fill(r, store, prompt + decode, prompt, 16);
            BitSet pivots = store.pivotTokens();
            if (pattern == LayerPattern.TSA) assertTrue(pivots.isEmpty(), "TSA layers have no pivots");
            else assertTrue(pivots.cardinality() >= 1 && pivots.cardinality() <= 15 && pivots.previousSetBit(prompt + decode) < prompt,
                    "pivots " + pivots);
            int length = prompt + decode, int4 = 0, int2 = 0, pivotOutsideWindow = 0;
            for (int t = 0; t < length - window; t++) {
                if (pivots.get(t)) pivotOutsideWindow++;
                else if (pattern == LayerPattern.TSA && f.modality()[t] == Modality.TEXT) int4++;
                else int2++;
            }
            List<KvFootprint.Segment> s = store.footprint().segments();
            assertEquals(int2, s.get(0).tokens(), pattern + " int2 tokens");
            assertEquals(int4, s.get(1).tokens(), pattern + " int4 tokens");
            assertEquals(pivots.cardinality(), s.get(2).tokens(), pattern + " fp16 pivots");
            assertEquals(window - (pivots.cardinality() - pivotOutsideWindow), s.get(3).tokens(), pattern + " fp16 window");
            // The window and the pivots hold the FP16-rounded inputs; quantized tokens are within their quantizer's bound.
            assertDecodedWithinBounds(store, f, pattern, window, 32, 0.8f, 1f, 0, "akvq " + pattern);
        }
    }

    private static float half(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** {@code row[offset, offset + n)} as a quantizer received it: FP16-rounded if it came from the FP16 window, else as given. */
    static float[] quantizerInput(float[] row, int offset, int n, boolean viaWindow) {
        float[] in = new float[n];
        for (int i = 0; i < n; i++) in[i] = viaWindow ? half(row[offset + i]) : row[offset + i];
        return in;
    }

    /**
     * What an akvq ({@code keyBlock} 0) or akvq-kc store decodes, against what it was given: the
     * window's and the pivots' rows are the FP16-rounded inputs; a quantized token lies in its layer's
     * segment (INT4 at clip4 for text in a TSA layer, INT2 at clip2 otherwise) and each value within
     * {@link GroupQuantizer}'s bound of its group (half a step inside the clipped range, plus the
     * distance to it outside), from the FP32 input if it was quantized at prefill, else from its FP16
     * window row. Keys: per token the same; with channel keys, within {@link KiviQuantizer#errorBound}
     * of the FP16-rounded input, the parameters over each channel of a full block of the segment's
     * slots, and the FP16-rounded input itself in the block still filling.
     */
    static void assertDecodedWithinBounds(MixedPrecisionKeyValueStore store, Filled f, LayerPattern pattern, int window, int group,
                                          float clip2, float clip4, int keyBlock, String what) {
        int heads = store.kvHeads(), dim = store.headDim(), length = store.length();
        float[] keys = store.keysForTrace(), values = store.valuesForTrace();
        BitSet pivots = store.pivotTokens();
        List<List<Integer>> segments = List.of(new ArrayList<>(), new ArrayList<>());     // INT2, INT4: tokens in slot order
        for (int t = 0; t < length; t++) {
            boolean fp16 = t >= length - window || pivots.get(t);
            assertEquals(fp16, !store.quantized(t), what + ": token " + t + "'s form");
            if (!fp16) {
                segments.get(pattern == LayerPattern.TSA && f.modality()[t] == Modality.TEXT ? 1 : 0).add(t);
                continue;
            }
            for (int i = 0; i < heads * dim; i++) {
                int at = (i / dim * length + t) * dim + i % dim;
                assertEquals(half(f.keys()[t][i]), keys[at], what + ": fp16 key " + t);
                assertEquals(half(f.values()[t][i]), values[at], what + ": fp16 value " + t);
            }
        }
        for (int s = 0; s < 2; s++) {
            int bits = s == 0 ? 2 : 4;
            GroupQuantizer perToken = new GroupQuantizer(bits, s == 0 ? clip2 : clip4);
            KiviQuantizer perChannel = new KiviQuantizer(bits);
            List<Integer> tokens = segments.get(s);
            int inBlocks = keyBlock > 0 ? tokens.size() / keyBlock * keyBlock : 0;
            for (int slot = 0; slot < tokens.size(); slot++) {
                int t = tokens.get(slot);
                boolean viaWindow = window > 0 && t >= f.prompt() - window;
                for (int h = 0; h < heads; h++) {
                    for (int g = 0; g < dim; g += group) {
                        float[] kIn = quantizerInput(f.keys()[t], h * dim + g, group, viaWindow);
                        float[] vIn = quantizerInput(f.values()[t], h * dim + g, group, viaWindow);
                        for (int i = 0; i < group; i++) {
                            int at = (h * length + t) * dim + g + i, c = g + i;
                            String where = what + ": " + (s == 0 ? "int2" : "int4") + " token " + t + " head " + h + " channel " + c;
                            assertTrue(Math.abs(values[at] - vIn[i]) <= BaselineStoresTest.groupBound(perToken, vIn, vIn[i]),
                                    where + " value " + values[at] + " vs " + vIn[i]);
                            if (keyBlock == 0) {
                                assertTrue(Math.abs(keys[at] - kIn[i]) <= BaselineStoresTest.groupBound(perToken, kIn, kIn[i]),
                                        where + " key " + keys[at] + " vs " + kIn[i]);
                            } else if (slot >= inBlocks) {
                                assertEquals(half(f.keys()[t][h * dim + c]), keys[at], where + ": key in the block still filling");
                            } else {
                                int first = slot / keyBlock * keyBlock;
                                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                                for (int b = first; b < first + keyBlock; b++) {
                                    float x = half(f.keys()[tokens.get(b)][h * dim + c]);
                                    min = Math.min(min, x);
                                    max = Math.max(max, x);
                                }
                                float x = half(f.keys()[t][h * dim + c]);
                                assertTrue(Math.abs(keys[at] - x) <= perChannel.errorBound(perChannel.parameters(min, max), x),
                                        where + " key " + keys[at] + " vs " + x);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void akvqAndChannelKeyStoresDecodeWithinTheQuantizersBoundAndCountTheirBits() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int heads = 1 + r.nextInt(2), dim = 8 << r.nextInt(3), group = Math.max(4, dim >> r.nextInt(2));
            int window = r.nextInt(20), pivots = r.nextInt(4), keyBlock = r.nextBoolean() ? 0 : 1 << r.nextInt(4);
            int length = 1 + r.nextInt(120), prompt = r.nextInt(length + 1);
            LayerPattern pattern = r.nextBoolean() ? LayerPattern.TSA : LayerPattern.PSA;
            float clip2 = r.nextBoolean() ? 0.8f : 1f, clip4 = r.nextBoolean() ? 0.9f : 1f;
            MixedPrecisionKeyValueStore store = keyBlock == 0
                    ? new MixedPrecisionKeyValueStore(heads, dim, group, pattern, window, pivots, PivotRule.ENTRIES, clip2, clip4, r.nextBoolean())
                    : MixedPrecisionKeyValueStore.channelKeys(heads, dim, group, keyBlock, pattern, window, pivots, PivotRule.ENTRIES, clip2,
                            clip4, r.nextBoolean());
            Filled f = fill(r, store, length, prompt, 4);
            String what = "seed " + seed + (keyBlock == 0 ? " akvq" : " akvq-kc block " + keyBlock);
            assertDecodedWithinBounds(store, f, pattern, window, group, clip2, clip4, keyBlock, what);
            // Exact bytes: FP16 rows 2 B a value; a quantized value bits/8 B plus 3 B a group (FP16 scale, byte zero);
            // a channel key bits/8 B plus 4 B a channel and full block (FP16 scale and minimum), 2 B while its block fills.
            long bytes = 0;
            int[] perSegment = new int[2];
            for (int t = 0; t < length; t++) {
                if (!store.quantized(t)) bytes += 4L * dim;
                else perSegment[pattern == LayerPattern.TSA && f.modality()[t] == Modality.TEXT ? 1 : 0]++;
            }
            for (int s = 0; s < 2; s++) {
                int bits = s == 0 ? 2 : 4, n = perSegment[s], full = keyBlock == 0 ? n : n / keyBlock * keyBlock;
                bytes += n * (dim * bits / 8 + 3L * dim / group);                                  // values
                if (keyBlock == 0) bytes += n * (dim * bits / 8 + 3L * dim / group);
                else bytes += full * dim * bits / 8 + full / keyBlock * 4L * dim + (n - full) * 2L * dim;
            }
            assertEquals(8.0 * bytes * heads / (2.0 * heads * length * dim), store.footprint().bitsPerValue(), 1e-9, what + ": bits");
            assertEquals((pattern == LayerPattern.TSA ? 6L : 5L) * length, store.bookkeepingBytes(), what + ": bookkeeping");
        });
    }

    /** The bound check fails on a wrong answer: inputs moved by far more than a step are caught. */
    @Test
    void theBoundCheckCanFail() {
        for (int keyBlock : new int[] {0, 4}) {
            SplittableRandom r = new SplittableRandom(5);
            MixedPrecisionKeyValueStore store = keyBlock == 0
                    ? new MixedPrecisionKeyValueStore(1, 16, 16, LayerPattern.PSA, 0, 0, PivotRule.ENTRIES, 1f, 1f, false)
                    : MixedPrecisionKeyValueStore.channelKeys(1, 16, 16, keyBlock, LayerPattern.PSA, 0, 0, PivotRule.ENTRIES, 1f, 1f, false);
            Filled f = fill(r, store, 20, 10, 8);
            assertDecodedWithinBounds(store, f, LayerPattern.PSA, 0, 16, 1f, 1f, keyBlock, "as given");
            f.keys()[3][5] += 50;
            assertThrows(AssertionError.class, () -> assertDecodedWithinBounds(store, f, LayerPattern.PSA, 0, 16, 1f, 1f, keyBlock, "moved"));
        }
    }

    @Test
    void rtn2QuantizesEveryTokenAndKiviKeepsItsResidual() {
        SplittableRandom r = new SplittableRandom(5);
        MixedPrecisionKeyValueStore rtn = new MixedPrecisionKeyValueStore(1, 16, 16, LayerPattern.PSA, 0, 0, PivotRule.ENTRIES, 1f, 1f, false);
        fill(r, rtn, 40, 30, 4);
        assertEquals(40, rtn.footprint().segments().get(0).tokens());
        assertEquals(0, rtn.footprint().segments().get(3).tokens() + rtn.footprint().segments().get(2).tokens());
        for (int[] c : new int[][] {{100, 0}, {300, 0}, {300, 30}, {256, 1}, {130, 126}, {130, 127}}) {
            int prompt = c[0], steps = c[1], length = prompt + steps;
            KiviKeyValueStore kivi = new KiviKeyValueStore(2, 32, 2, 32, 128, false);
            fill(r, kivi, length, prompt, 4);
            // Keys: prefill quantizes n - n % 128; each time the residual reaches 128 it is quantized at the next step.
            int keys = prompt - prompt % 128;
            for (int t = prompt; t < length; t++) if (t - keys == 128) keys = t;
            int values = Math.max(0, prompt - 128);
            for (int t = prompt; t < length; t++) values = Math.max(values, t - 128);
            List<KvFootprint.Segment> s = kivi.footprint().segments();
            assertEquals(keys, s.get(0).tokens(), "kivi int2 keys after " + prompt + " + " + steps);
            assertEquals(values, s.get(1).tokens(), "kivi int2 values after " + prompt + " + " + steps);
            assertAttentionMatchesTrace(r, kivi, "kivi " + prompt + " + " + steps);
        }
    }

    @Test
    void rotationLeavesAttentionUnchanged() {
        SplittableRandom r = new SplittableRandom(11);
        int heads = 2, dim = 32, n = 30;
        DenseKeyValueStore plain = new DenseKeyValueStore(DType.F32, heads, dim);
        RotatedKeyValueStore rotated = new RotatedKeyValueStore(new DenseKeyValueStore(DType.F32, heads, dim));
        for (int t = 0; t < n; t++) {
            float[] k = new float[heads * dim], v = new float[heads * dim];
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) r.nextGaussian();
                v[i] = (float) r.nextGaussian();
            }
            plain.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
            rotated.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
        }
        float[] q = new float[dim];
        for (int i = 0; i < dim; i++) q[i] = (float) r.nextGaussian();
        float[] pa = new float[n], oa = new float[dim], pb = new float[n], ob = new float[dim];
        plain.attend(q, 0, 1, 3, n, 0.2f, pa, oa, 0);
        rotated.attend(q, 0, 1, 3, n, 0.2f, pb, ob, 0);
        for (int j = 0; j < n - 3; j++) assertEquals(pa[j], pb[j], 1e-6, "probability " + j);
        for (int i = 0; i < dim; i++) assertEquals(oa[i], ob[i], 1e-5, "output " + i);
        assertThrows(IllegalArgumentException.class, () -> new RotatedKeyValueStore(new DenseKeyValueStore(DType.F32, 1, 12)));
    }

    @Test
    void pivotRulesPickTheMassiveActivations() {
        float[] h = new float[6 * 4];
        h[1 * 4 + 2] = 100;
        h[1 * 4 + 3] = -90;      // same token twice: ENTRIES de-duplicates
        h[4 * 4 + 0] = 80;
        h[2 * 4 + 1] = 5;
        assertEquals(BitSet.valueOf(new long[] {0b10010}), PivotDetector.find(h, 6, 4, 3, PivotRule.ENTRIES));
        assertEquals(BitSet.valueOf(new long[] {0b10110}), PivotDetector.find(h, 6, 4, 3, PivotRule.TOKENS));
        assertTrue(PivotDetector.find(h, 6, 4, 0, PivotRule.TOKENS).isEmpty());
    }
}
