package dev.akvq.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.Trace;
import dev.akvq.model.generate.Greedy;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvLayerTable;
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
 * {@link LlamaDecoder#forwardBatch}: a greedy sequence gets the same logits, bit for bit, and so
 * the same tokens, in any batch as alone (run through {@link LlamaDecoder#forward} with the same
 * prompt chunks, then one token at a time), in every KV mode, with value rotation on and off in
 * one batch, over random models, batch compositions, join times and chunk sizes.
 */
public class BatchedDecodeTest {
    static final WorkerPool POOL = WorkerPool.create(2);

    /** A random decoder whose head_dim (8, 16 or 32) every KV mode accepts (power of two, whole groups of 2-bit codes). */
    static LlamaDecoder randomDecoder(SplittableRandom r) {
        int heads = 1 << r.nextInt(3), kvHeads = heads >> r.nextInt(Integer.numberOfTrailingZeros(heads) + 1);
        int headDim = 8 << r.nextInt(3), hidden = 8 + r.nextInt(65), ffn = 8 + r.nextInt(60), vocab = 20 + r.nextInt(60);
        int layers = 1 + r.nextInt(2);
        boolean qkvBias = r.nextBoolean(), oBias = r.nextBoolean(), tied = r.nextBoolean();
        Optional<SlidingWindow> window = r.nextInt(4) == 0 ? Optional.of(new SlidingWindow(4 + r.nextInt(20), 0)) : Optional.empty();
        TextDecoderConfig c = new TextDecoderConfig("llama", vocab, hidden, ffn, layers, heads, kvHeads, headDim, "silu", 512,
                1e-5, 10000, Optional.empty(), qkvBias, oBias, false, window, tied, OptionalInt.empty(), List.of(), OptionalInt.empty());
        DType dtype = r.nextBoolean() ? DType.F32 : DType.BF16;
        int q = heads * headDim, kv = kvHeads * headDim;
        List<LlamaWeights.Layer> list = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            list.add(new LlamaWeights.Layer(CachedDecodeTest.norm(r, hidden), m(r, dtype, q, hidden), m(r, dtype, kv, hidden),
                    m(r, dtype, kv, hidden), m(r, dtype, hidden, q), CachedDecodeTest.bias(r, qkvBias, q),
                    CachedDecodeTest.bias(r, qkvBias, kv), CachedDecodeTest.bias(r, qkvBias, kv), CachedDecodeTest.bias(r, oBias, hidden),
                    CachedDecodeTest.norm(r, hidden), m(r, dtype, ffn, hidden), m(r, dtype, ffn, hidden), m(r, dtype, hidden, ffn),
                    Optional.empty(), Optional.empty(), Optional.empty()));
        }
        MatrixView embed = m(r, dtype, vocab, hidden);
        return new LlamaDecoder(c, new LlamaWeights(embed, list, CachedDecodeTest.norm(r, hidden), tied ? embed : m(r, dtype, vocab, hidden)), POOL);
    }

    /** Weights large enough that greedy choices are not ties and attention is not uniform. */
    static MatrixView m(SplittableRandom r, DType dtype, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.4);
        return MatrixView.of(dtype, rows, cols, v);
    }

    /** Every KV mode, with small windows so that tokens really leave them and get quantized. */
    static KvCacheSettings randomSettings(SplittableRandom r, TextDecoderConfig c) {
        KvMode mode = KvMode.values()[r.nextInt(KvMode.values().length)];
        KvCacheSettings s = KvCacheSettings.defaults(mode).withLayers(r.nextBoolean() ? KvLayerTable.DEFAULT : KvLayerTable.LLAVA_16_MISTRAL);
        if (mode.readsLayerTable()) s = s.withWindow(r.nextInt(6)).withPivots(r.nextInt(3));
        if (mode == KvMode.AKVQ_KC) s = s.withKeyBlock(1 << r.nextInt(4));     // blocks that fill in a short sequence
        if (mode.needsChannelCalibration()) s = s.withChannels(randomChannels(r, c));
        if (r.nextInt(3) == 0) s = s.withRotation(!s.rotation());
        return s;
    }

    /** Channel statistics of random keys, values and queries, shaped as the decoder's layers (smoothquant, skvq). */
    static KvChannelStatistics randomChannels(SplittableRandom r, TextDecoderConfig c) {
        int kvHeads = c.numKeyValueHeads(), headDim = c.headDim(), heads = c.numAttentionHeads(), tokens = 8;
        KvChannelStatistics stats = new KvChannelStatistics(c.numHiddenLayers(), kvHeads, headDim);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            stats.addKeys(l, uniform(r, tokens * kvHeads * headDim), tokens);
            stats.addValues(l, uniform(r, tokens * kvHeads * headDim), tokens);
            stats.addQueries(l, uniform(r, tokens * heads * headDim), tokens, heads);
        }
        return stats;
    }

    private static float[] uniform(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** One sequence of the property: its prompt (ids, with random positions marked vision), settings, join step and chunk size. */
    record Request(int[] prompt, Modality[] modality, KvCacheSettings settings, int joinStep, int chunk, int maxNew) {}

    /** Greedy tokens and the logits behind each, of one sequence alone. */
    record Run(List<Integer> tokens, List<float[]> logits) {}

    /** The sequence alone: its prompt through {@link LlamaDecoder#forward} in the same chunks, then one token at a time. */
    static Run alone(LlamaDecoder base, Request q) {
        LlamaDecoder d = base;
        var c = base.config();
        var cache = q.settings().newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
        List<Integer> tokens = new ArrayList<>();
        List<float[]> logits = new ArrayList<>();
        float[] last = null;
        for (int start = 0; start < q.prompt().length; start += q.chunk()) {
            int n = Math.min(q.chunk(), q.prompt().length - start);
            CachedToken[] chunk = new CachedToken[n];
            for (int t = 0; t < n; t++) chunk[t] = new CachedToken(start + t, q.modality()[start + t], false);
            float[] normed = d.forward(d.embed(Arrays.copyOfRange(q.prompt(), start, start + n)), chunk, cache, Trace.NONE);
            last = d.lastLogits(normed, n);
        }
        int position = q.prompt().length;
        while (true) {
            logits.add(last);
            int token = Greedy.argmax(last);
            tokens.add(token);
            if (tokens.size() == q.maxNew()) return new Run(tokens, logits);
            float[] normed = d.forward(d.embed(new int[] {token}), new CachedToken[] {new CachedToken(position++, Modality.TEXT, true)},
                    cache, Trace.NONE);
            last = d.lastLogits(normed, 1);
        }
    }

    /** All requests in one batch: each joins at its step, runs one chunk per step, then decodes; the batch's logits per sequence. */
    static List<Run> together(LlamaDecoder base, List<Request> requests) {
        DecoderBatch batch = new DecoderBatch(base.config());
        List<LlamaSequence> sequences = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        for (Request q : requests) {
            LlamaSequence s = new LlamaSequence(base, q.settings());
            s.queuePrompt(base.embed(q.prompt()), q.modality());
            sequences.add(s);
            runs.add(new Run(new ArrayList<>(), new ArrayList<>()));
        }
        int[] segment = new int[requests.size()];
        for (int step = 0; ; step++) {
            batch.clear();
            boolean any = false;
            for (int i = 0; i < requests.size(); i++) {
                Request q = requests.get(i);
                segment[i] = -1;
                if (step < q.joinStep() || runs.get(i).tokens().size() == q.maxNew()) continue;
                LlamaSequence s = sequences.get(i);
                int pending = s.pendingPromptTokens();
                List<Integer> done = runs.get(i).tokens();
                if (pending > 0) {
                    int n = Math.min(q.chunk(), pending);
                    segment[i] = s.addTo(batch, n, -1, n == pending);
                } else {
                    segment[i] = s.addTo(batch, 1, done.getLast(), true);
                }
                any = true;
            }
            if (!any) {
                boolean finished = true;
                for (int i = 0; i < requests.size(); i++) finished &= runs.get(i).tokens().size() == requests.get(i).maxNew();
                if (finished) return runs;
                continue;
            }
            base.forwardBatch(batch);
            int vocab = base.config().vocabSize();
            for (int i = 0; i < requests.size(); i++) {
                if (segment[i] < 0 || !batch.wantsLogits[segment[i]]) continue;
                int at = batch.logitsOffset(segment[i]);
                float[] logits = Arrays.copyOfRange(batch.logits(), at, at + vocab);
                runs.get(i).logits().add(logits);
                runs.get(i).tokens().add(Greedy.argmax(logits));
            }
        }
    }

    @Test
    void aSequenceGetsTheSameBitsInAnyBatchAsAlone() {
        qt().withExamples(20).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            LlamaDecoder base = randomDecoder(r);
            int count = 1 + r.nextInt(12);
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = 1 + r.nextInt(40);
                Modality[] modality = new Modality[n];
                for (int t = 0; t < n; t++) modality[t] = r.nextInt(3) == 0 ? Modality.VISION : Modality.TEXT;
                requests.add(new Request(CachedDecodeTest.ids(r, n, base.config().vocabSize()), modality, randomSettings(r, base.config()),
                        r.nextInt(8), 1 + r.nextInt(20), 1 + r.nextInt(10)));
            }
            List<Run> batched = together(base, requests);
            for (int i = 0; i < count; i++) {
                Run expected = alone(base, requests.get(i));
                Run actual = batched.get(i);
                String what = "sequence " + i + " of " + count + " (" + requests.get(i).settings().describe() + ", chunk "
                        + requests.get(i).chunk() + ", prompt " + requests.get(i).prompt().length + ")";
                assertEquals(expected.tokens(), actual.tokens(), what);
                for (int t = 0; t < expected.logits().size(); t++) {
                    assertTrue(Arrays.equals(expected.logits().get(t), actual.logits().get(t)), what + ": logits of step " + t + " differ");
                }
            }
        });
    }

    @Test
    void theComparisonCanFail() {
        // The same request with another chunk size is another computation for a quantizing store: its
        // logits must differ somewhere, or the property above could not tell batching from chunking.
        SplittableRandom r = new SplittableRandom(3);
        LlamaDecoder base = randomDecoder(r);
        int[] prompt = CachedDecodeTest.ids(r, 30, base.config().vocabSize());
        KvCacheSettings akvq = KvCacheSettings.defaults(KvMode.AKVQ).withWindow(2).withPivots(1);
        Run whole = alone(base, new Request(prompt, CachedDecodeTest.text(30), akvq, 0, 30, 4));
        Run chunked = together(base, List.of(new Request(prompt, CachedDecodeTest.text(30), akvq, 0, 7, 4))).getFirst();
        boolean differs = false;
        for (int t = 0; t < 4; t++) differs |= !Arrays.equals(whole.logits().get(t), chunked.logits().get(t));
        assertTrue(differs, "chunks of 7 and one chunk of 30 gave the same bits under akvq with a 2-token window");
    }

    @Test
    void segmentsAreChecked() {
        LlamaDecoder base = randomDecoder(new SplittableRandom(5));
        DecoderBatch batch = new DecoderBatch(base.config());
        LlamaSequence s = new LlamaSequence(base, KvCacheSettings.defaults(KvMode.FP32));
        s.queuePrompt(base.embed(new int[] {1, 2, 3}), CachedDecodeTest.text(3));
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> s.addTo(batch, 4, -1, true));
        assertEquals("addTo: 4 tokens asked, 3 prompt tokens pending", tooMany.getMessage());
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> s.queuePrompt(base.embed(new int[] {1}), CachedDecodeTest.text(1)));
        assertEquals("the prompt is queued once per sequence", twice.getMessage());
    }
}
