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
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

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
 *
 * <p>Meanwhile a second thread maps every weight matrix into the process ({@link MemorySegment#load}):
 * the warm-up reads row slices only, so the prompt would otherwise take a page fault for every
 * few pages of the checkpoint as its first pass reaches them (a cold 128-token prompt of a 750 MB
 * checkpoint spent 0.06-0.13 s of its threads' CPU time in the kernel doing so, against 0.01 s warm;
 * mapped here, 0.01 s). Skipped when the weights take more than half the machine's memory, where
 * mapping them ahead could push out pages the prompt needs first.
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
     * Tokens of the first prompt of each phase, decoded without prompt attention: its quantized run
     * outgrows one 256-token piece of the packed-code kernels, so each thread's scratch reaches its
     * full size here. Grown only by the user's first long decode, it was a branch the compiled code
     * had never seen (a deoptimization and a recompilation in the first decode steps).
     */
    private static final int LONG_STORED = STORED + 320;
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
     * per tiny call would cost more than the call on a busy machine); the first and the last rounds
     * go through the decoder's own pool, so its hand-off is compiled too. The first comes first so
     * that what a pool thread does once (make its scratch buffers) is in the profiles the JIT
     * compiles from: with it last, the compiled quantized attention met a branch it had never seen
     * at the end of the warm-up and was thrown away, and recompiled only during the user's decode.
     */
    static void run(LlamaDecoder decoder, LlamaWeights weights, KvCacheSettings settings) {
        List<MemorySegment> mapped = mappedMatrices(weights);
        AtomicReference<RuntimeException> mappingFailed = new AtomicReference<>();
        Thread mapping = null;
        if (fitsInMemory(mapped)) {
            mapping = Thread.ofPlatform().daemon().name("akvq-weights-mapping").start(() -> {
                try {
                    mapped.forEach(MemorySegment::load);
                } catch (RuntimeException e) {
                    mappingFailed.set(e);
                }
            });
        }
        rounds(decoder, weights, settings, 1);
        try (WorkerPool serial = WorkerPool.create(1)) {
            LlamaDecoder alone = new LlamaDecoder(decoder.config(), weights, serial);
            rounds(alone, weights, settings, ROUNDS - POOLED_ROUNDS);
        }
        rounds(decoder, weights, settings, POOLED_ROUNDS - 1);
        if (mapping != null) {
            try {
                mapping.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();   // Ctrl-C: the prompt's own reads map what is left
            }
            if (mappingFailed.get() != null) throw mappingFailed.get();
        }
    }

    /** The decoder's weight matrices that are file mappings, each once (a tied lm_head is the embedding). */
    private static List<MemorySegment> mappedMatrices(LlamaWeights weights) {
        Set<MatrixView> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<MatrixView> all = new ArrayList<>(List.of(weights.embedTokens(), weights.lmHead()));
        for (LlamaWeights.Layer l : weights.layers()) all.addAll(List.of(l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down()));
        return all.stream().filter(seen::add).map(MatrixView::data).filter(MemorySegment::isMapped).toList();
    }

    private static boolean fitsInMemory(List<MemorySegment> mapped) {
        long bytes = mapped.stream().mapToLong(MemorySegment::byteSize).sum();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return bytes <= os.getTotalMemorySize() / 2;
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
            if (round == 0) attention(decoder, settings, random, hidden, qs, out, LONG_STORED, false);
            if (round % 30 == 0) attention(decoder, settings, random, hidden, qs, out, STORED, true);
        }
    }

    /**
     * A prompt of {@code stored} tokens through the first and the last layer's stores (a TSA and a
     * PSA layer in the default table: INT4 and INT2 codes) and, with {@code promptAttention}, the
     * decoder's attention over it (tiled, then per token), then {@link #DECODE_STEPS} decode steps each.
     */
    private static void attention(LlamaDecoder decoder, KvCacheSettings settings, SplittableRandom random, int hidden,
                                  float[] q, float[] out, int stored, boolean promptAttention) {
        TextDecoderConfig c = decoder.config();
        // The whole cache, as a sequence builds it (so bad settings fail here as they would there).
        List<KeyValueStore> cache = settings.newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
        for (int layer : new int[] {0, c.numHiddenLayers() - 1}) {
            attention(decoder, cache.get(layer), layer, random, hidden, q, out, stored, promptAttention);
        }
        cache.forEach(KeyValueStore::close);
    }

    private static void attention(LlamaDecoder decoder, KeyValueStore store, int layer, SplittableRandom random, int hidden,
                                  float[] q, float[] out, int stored, boolean promptAttention) {
        TextDecoderConfig c = decoder.config();
        int width = c.numKeyValueHeads() * c.headDim(), qWidth = c.numAttentionHeads() * c.headDim();
        float[] k = noise(random, stored * width), v = noise(random, stored * width);
        store.beginPrefill(noise(random, stored * hidden), stored, hidden);
        for (int t = 0; t < stored; t++) store.append(k, t * width, v, t * width, new CachedToken(t, Modality.TEXT, false));
        if (promptAttention) {
            float[] prompt = noise(random, 8 * qWidth), promptOut = new float[8 * qWidth];
            float[] promptQueries = noise(random, stored * qWidth);
            decoder.attend(store, layer, promptQueries, k, v, stored, 0, new float[stored * qWidth], false);   // tiled prompt
            decoder.attend(store, layer, prompt, k, v, 8, stored - 8, promptOut, false);                       // per token
        }
        store.endPrefill();
        for (int t = 0; t < DECODE_STEPS; t++) {
            store.append(k, t * width, v, t * width, new CachedToken(stored + t, Modality.TEXT, true));
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
