package dev.akvq.model.llama;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.Add;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixVector;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.RmsNorm;
import dev.akvq.tensor.RotaryEmbedding;
import dev.akvq.tensor.SwiGlu;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs every kernel of a decoder's forward pass on tiny inputs until the JIT has compiled it, so
 * that a one-shot run's prompt and first tokens run compiled code instead of interpreting the
 * Vector API (which allocates an object per vector operation: gigabytes of garbage and a heap to
 * match). The inputs are what the real pass will see, only fewer: row slices of the mapped
 * weights themselves (the same kind of memory segment, so the kernels' type profiles are the
 * real ones), the real widths, a handful of tokens, and a KV store built by the run's own
 * settings, filled past its FP16 window so its quantized paths run too. Nothing it computes is
 * kept. Each branch the real pass takes (4-row blocks and the remainder rows of matrix-vector,
 * whole and partial token groups of matrix-matrix, prefill and decode attention) is taken here,
 * so the compiled code is not thrown away on first contact with real data.
 */
final class DecoderWarmup {
    private DecoderWarmup() {}

    /** Weights per layer (q_proj and the MLP) below which a decoder is not warmed up: 1M, a 512-wide model. */
    static final long MIN_WEIGHTS = 1L << 20;
    /** Rounds of the whole set; each round is about 1/1000 of a 128-token prompt's work. */
    static final int ROUNDS = 300;
    /** Rounds through the decoder's own pool. */
    static final int POOLED_ROUNDS = 10;
    /** Tokens of the warm-up prompt: above the FP16 window of the default settings, so quantized rows exist. */
    private static final int STORED = 160;
    /**
     * Decode steps over each warmed store: enough that C2 compiles the quantized stores' attention
     * (packed-code dot products and weighted sums) here. With 4 steps over one layer, a cold
     * {@code --kv akvq} run first compiled them 1-4 s into its decode (JFR compilation events) and
     * its first six steps took 1.1 s more than six later ones (400-token prompt, one thread); with
     * 12 over two layers, 0.15 s more, for 0.2 s more warm-up (0.1 s with fp16).
     */
    private static final int DECODE_STEPS = 12;

    /**
     * Most rounds run on the calling thread alone (compiled code serves every thread, and a hand-off
     * per tiny call would cost more than the call on a busy machine); the last rounds go through the
     * decoder's own pool, so its hand-off is compiled too.
     */
    static void run(LlamaDecoder decoder, LlamaWeights weights, KvCacheSettings settings) {
        try (WorkerPool serial = WorkerPool.create(1)) {
            LlamaDecoder alone = new LlamaDecoder(decoder.config(), weights, serial);
            rounds(alone, weights, settings, ROUNDS - POOLED_ROUNDS);
        }
        rounds(decoder, weights, settings, POOLED_ROUNDS);
    }

    private static void rounds(LlamaDecoder decoder, LlamaWeights weights, KvCacheSettings settings, int count) {
        TextDecoderConfig c = decoder.config();
        int hidden = c.hiddenSize(), ffn = c.intermediateSize(), heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads(), headDim = c.headDim(), qWidth = heads * headDim;
        LlamaWeights.Layer layer = weights.layers().get(0);
        // Matrix-vector splits rows over the threads: 5 or 6 a thread is a block of four and remainder rows.
        // Matrix-matrix: two whole panels of 32 rows and a partial one.
        int rows = 5 * decoder.pool().threads() + 1;
        MatrixView q = rowsOf(layer.q(), rows), down = rowsOf(layer.down(), rows), head = rowsOf(weights.lmHead(), rows);
        int panelRows = Math.min(layer.gate().rows(), 2 * 2 * 16 + 8);
        MatrixView gate = rowsOf(layer.gate(), panelRows);
        int tokens = 12;                                              // one whole group of 8 and a partial one
        SplittableRandom random = new SplittableRandom(1);
        float[] x = noise(random, tokens * Math.max(hidden, ffn)), h = new float[tokens * Math.max(hidden, ffn)];
        float[] y = new float[tokens * panelRows], gated = noise(random, 2 * ffn), up = noise(random, 2 * ffn);
        float[] qs = noise(random, 2 * qWidth), ks = noise(random, 2 * kvHeads * headDim), out = new float[2 * qWidth];
        RotaryPositions rotary = RotaryPositions.of(decoder.inverseFrequencies(),
                new CachedToken[] {new CachedToken(0, Modality.TEXT, false), new CachedToken(1, Modality.TEXT, false)});
        float eps = (float) c.rmsNormEps();

        for (int round = 0; round < count; round++) {
            MatrixVector.multiply(q, x, 0, y, 0, decoder.pool());
            MatrixVector.multiply(down, x, 0, y, 0, decoder.pool());
            MatrixVector.multiply(head, x, 0, y, 0, decoder.pool());
            if (round % 8 == 0) MatrixMatrix.multiplyTransposed(x, tokens, gate, y, decoder.pool());
            RmsNorm.apply(h, 0, x, 0, layer.inputNorm(), eps);
            RmsNorm.apply(h, hidden, x, hidden, layer.postAttentionNorm(), eps);
            SwiGlu.apply(gated, 0, up, 0, 2 * ffn);
            Add.add(h, 0, x, 0, hidden);
            RotaryEmbedding.rotateHalf(qs, 0, heads, headDim, rotary.cos(), rotary.sin(), 0);
            RotaryEmbedding.rotateHalf(ks, 0, kvHeads, headDim, rotary.cos(), rotary.sin(), headDim);
            if (round % 30 == 0) attention(decoder, settings, random, hidden, qs, out);
        }
    }

    /**
     * A prompt of {@link #STORED} tokens through the first and the last layer's stores (a TSA and a
     * PSA layer in the default table: INT4 and INT2 codes) and the decoder's attention, then
     * {@link #DECODE_STEPS} decode steps each.
     */
    private static void attention(LlamaDecoder decoder, KvCacheSettings settings, SplittableRandom random, int hidden,
                                  float[] q, float[] out) {
        TextDecoderConfig c = decoder.config();
        // The whole cache, as a sequence builds it (so bad settings fail here as they would there).
        List<KeyValueStore> cache = settings.newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
        for (int layer : new int[] {0, c.numHiddenLayers() - 1}) {
            attention(decoder, cache.get(layer), layer, random, hidden, q, out);
        }
        cache.forEach(KeyValueStore::close);
    }

    private static void attention(LlamaDecoder decoder, KeyValueStore store, int layer, SplittableRandom random, int hidden,
                                  float[] q, float[] out) {
        TextDecoderConfig c = decoder.config();
        int width = c.numKeyValueHeads() * c.headDim(), qWidth = c.numAttentionHeads() * c.headDim();
        float[] k = noise(random, STORED * width), v = noise(random, STORED * width);
        float[] prompt = noise(random, 8 * qWidth), promptOut = new float[8 * qWidth];
        store.beginPrefill(noise(random, STORED * hidden), STORED, hidden);
        for (int t = 0; t < STORED; t++) store.append(k, t * width, v, t * width, new CachedToken(t, Modality.TEXT, false));
        float[] promptQueries = noise(random, STORED * qWidth);
        decoder.attend(store, layer, promptQueries, k, v, STORED, 0, new float[STORED * qWidth], false);   // tiled prompt
        decoder.attend(store, layer, prompt, k, v, 8, STORED - 8, promptOut, false);                       // per token
        store.endPrefill();
        for (int t = 0; t < DECODE_STEPS; t++) {
            store.append(k, t * width, v, t * width, new CachedToken(STORED + t, Modality.TEXT, true));
            decoder.attend(store, layer, q, k, v, 1, store.length() - 1, out, false);
        }
    }

    private static MatrixView rowsOf(MatrixView w, int rows) {
        int r = Math.min(rows, w.rows());
        return new MatrixView(w.dtype(), r, w.cols(), w.data().asSlice(0, (long) r * w.cols() * w.dtype().size));
    }

    private static float[] noise(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) random.nextGaussian();
        return a;
    }
}
