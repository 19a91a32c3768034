package dev.akvq.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.Trace;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.SlidingWindow;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the decoder on random small configurations (grouped-query heads, q/k/v and o
 * biases, sliding windows, tied embeddings, BF16 weights): decoding token by token through the
 * cache gives the logits of one prefill over the whole sequence; a sliding window really limits
 * what a token sees.
 */
public class CachedDecodeTest {
    static final WorkerPool POOL = WorkerPool.create(2);

    public record RandomModel(TextDecoderConfig config, LlamaDecoder decoder) {}

    public static RandomModel randomModel(SplittableRandom r, Optional<SlidingWindow> window) {
        return randomModel(r, window, POOL);
    }

    /** As {@link #randomModel(SplittableRandom, Optional)}, the decoder running on {@code pool}. */
    public static RandomModel randomModel(SplittableRandom r, Optional<SlidingWindow> window, WorkerPool pool) {
        int heads = 1 << r.nextInt(3), kvHeads = heads >> r.nextInt(Integer.numberOfTrailingZeros(heads) + 1);
        int headDim = 2 * (1 + r.nextInt(8)), hidden = 4 + r.nextInt(29), ffn = 3 + r.nextInt(40), vocab = 10 + r.nextInt(40);
        int layers = 1 + r.nextInt(3);
        boolean qkvBias = r.nextBoolean(), oBias = r.nextBoolean(), mlpBias = r.nextBoolean(), tied = r.nextBoolean();
        TextDecoderConfig c = new TextDecoderConfig("llama", vocab, hidden, ffn, layers, heads, kvHeads, headDim, "silu", 64,
                1e-5, 10000, Optional.empty(), qkvBias, oBias, mlpBias, window, tied, OptionalInt.empty(), List.of(), OptionalInt.empty());
        DType dtype = r.nextBoolean() ? DType.F32 : DType.BF16;
        int q = heads * headDim, kv = kvHeads * headDim;
        List<LlamaWeights.Layer> list = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            list.add(new LlamaWeights.Layer(norm(r, hidden), m(r, dtype, q, hidden), m(r, dtype, kv, hidden), m(r, dtype, kv, hidden),
                    m(r, dtype, hidden, q), bias(r, qkvBias, q), bias(r, qkvBias, kv), bias(r, qkvBias, kv), bias(r, oBias, hidden),
                    norm(r, hidden), m(r, dtype, ffn, hidden), m(r, dtype, ffn, hidden), m(r, dtype, hidden, ffn),
                    bias(r, mlpBias, ffn), bias(r, mlpBias, ffn), bias(r, mlpBias, hidden)));
        }
        MatrixView embed = m(r, dtype, vocab, hidden);
        LlamaWeights w = new LlamaWeights(embed, list, norm(r, hidden), tied ? embed : m(r, dtype, vocab, hidden));
        return new RandomModel(c, new LlamaDecoder(c, w, pool));
    }

    static MatrixView m(SplittableRandom r, DType dtype, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        return MatrixView.of(dtype, rows, cols, v);
    }

    static float[] norm(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.2 * r.nextGaussian());
        return v;
    }

    static Optional<float[]> bias(SplittableRandom r, boolean present, int n) {
        return present ? Optional.of(norm(r, n)) : Optional.empty();
    }

    static int[] ids(SplittableRandom r, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }

    static Modality[] text(int n) {
        Modality[] m = new Modality[n];
        Arrays.fill(m, Modality.TEXT);
        return m;
    }

    /** Logits of every position from one prefill: {@code [n, vocab]}. */
    static float[] prefillLogits(LlamaDecoder d, int[] ids, KvMode mode) {
        LlamaSequence s = new LlamaSequence(d, KvCacheSettings.defaults(mode));
        return d.allLogits(s.prefill(d.embed(ids), text(ids.length), Trace.NONE), ids.length);
    }

    @Test
    void decodingThroughTheCacheEqualsOnePrefill() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Optional<SlidingWindow> window = r.nextBoolean() ? Optional.of(new SlidingWindow(2 + r.nextInt(5), 0)) : Optional.empty();
            RandomModel model = randomModel(r, window);
            int vocab = model.config().vocabSize(), n = 2 + r.nextInt(12), split = 1 + r.nextInt(n - 1);
            int[] ids = ids(r, n, vocab);
            KvMode mode = r.nextBoolean() ? KvMode.FP32 : KvMode.FP16;
            float[] expected = prefillLogits(model.decoder(), ids, mode);
            // Prefill the first `split` tokens, then feed the rest one at a time.
            LlamaSequence s = new LlamaSequence(model.decoder(), KvCacheSettings.defaults(mode));
            float[] normed = s.prefill(model.decoder().embed(Arrays.copyOf(ids, split)), text(split), Trace.NONE);
            float[] logits = s.lastLogits(normed, split);
            for (int t = split; ; t++) {
                assertClose("position " + (t - 1) + " of " + n + " (" + mode.flag() + ", " + model.config() + ")",
                        Arrays.copyOfRange(expected, (t - 1) * vocab, t * vocab), logits, mode);
                if (t == n) break;
                logits = s.step(ids[t]);
            }
        });
    }

    @Test
    void aSlidingWindowHidesTokensOutsideIt() {
        // With a window of 2, the last position cannot see the first token: changing it changes nothing there.
        SplittableRandom r = new SplittableRandom(7);
        RandomModel model = randomModel(r, Optional.of(new SlidingWindow(2, 0)));
        int vocab = model.config().vocabSize();
        // Only with one layer: through two layers, token 0 reaches the last position via token 1.
        if (model.config().numHiddenLayers() != 1) {
            model = randomModel(new SplittableRandom(8), Optional.of(new SlidingWindow(2, 0)));
        }
        assertEquals(1, model.config().numHiddenLayers(), "seed chosen for a one-layer model");
        int[] a = {3, 4, 5, 6}, b = {9, 4, 5, 6};
        float[] la = prefillLogits(model.decoder(), a, KvMode.FP32), lb = prefillLogits(model.decoder(), b, KvMode.FP32);
        assertTrue(Arrays.equals(Arrays.copyOfRange(la, 3 * vocab, 4 * vocab), Arrays.copyOfRange(lb, 3 * vocab, 4 * vocab)));
        assertTrue(!Arrays.equals(Arrays.copyOfRange(la, vocab, 2 * vocab), Arrays.copyOfRange(lb, vocab, 2 * vocab)),
                "position 1 still sees token 0");
    }

    @Test
    void badInputsAreClearErrors() {
        RandomModel model = randomModel(new SplittableRandom(1), Optional.empty());
        int vocab = model.config().vocabSize();
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> model.decoder().embed(new int[] {1, vocab}));
        assertEquals("token id " + vocab + " at index 1 is outside the vocabulary [0, " + vocab + ")", outside.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> prefillLogits(model.decoder(), new int[65], KvMode.FP32));
        assertTrue(tooLong.getMessage().contains("exceeds max_position_embeddings 64"), tooLong.getMessage());
    }

    static void assertClose(String what, float[] expected, float[] actual, KvMode mode) {
        double scale = 0, worst = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
        // The prompt's attention is a tiled online softmax (CausalAttention) while decode asks the
        // cache per token: the same math in another summation order, so equal up to rounding
        // (a wrong mask or window moves logits by O(scale)). FP32: float rounding only (seen: 3.5e-6
        // of the scale over 1,500 seeds). FP16: a layer's K/V differ in their last float bits, and
        // rounding them to F16 can flip a value by one F16 step (2^-11 relative), which later
        // layers carry to the logits (seen: 4.1e-4 over the same seeds); bounded at 4 such steps.
        double bound = mode == KvMode.FP16 ? 4 * 0x1p-11 : 1e-4;
        assertTrue(worst <= bound * Math.max(scale, 1e-30) && !Double.isNaN(worst),
                what + ": max diff " + worst + " vs scale " + scale);
    }
}
