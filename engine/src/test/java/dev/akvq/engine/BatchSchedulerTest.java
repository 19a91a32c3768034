package dev.akvq.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llama.LlamaWeights;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The scheduler: every request gets the tokens it gets alone (greedy and seeded sampling, every
 * KV mode, random arrival steps, chunk sizes, budgets and batch limits, with preemption), the
 * budget holds, and bad requests, a full queue, cancel and stop behave as documented.
 */
public class BatchSchedulerTest {
    static final WorkerPool POOL = WorkerPool.create(1);   // tiny matrices: a second thread costs more than it gives

    /** A small random decoder: head_dim 16 (every KV mode accepts it), BF16 or F32 weights. */
    static LlamaDecoder decoder(SplittableRandom r) {
        int heads = 2 << r.nextInt(2), kvHeads = heads >> r.nextInt(2), headDim = 16, hidden = 24 + r.nextInt(24);
        int ffn = 32, vocab = 40, layers = 2;
        TextDecoderConfig c = new TextDecoderConfig("llama", vocab, hidden, ffn, layers, heads, kvHeads, headDim, "silu", 256,
                1e-5, 10000, Optional.empty(), false, false, false, Optional.empty(), true, OptionalInt.empty(), List.of(),
                OptionalInt.empty());
        DType dtype = r.nextBoolean() ? DType.F32 : DType.BF16;
        List<LlamaWeights.Layer> list = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            list.add(new LlamaWeights.Layer(ones(hidden), m(r, dtype, heads * headDim, hidden), m(r, dtype, kvHeads * headDim, hidden),
                    m(r, dtype, kvHeads * headDim, hidden), m(r, dtype, hidden, heads * headDim), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), ones(hidden), m(r, dtype, ffn, hidden), m(r, dtype, ffn, hidden),
                    m(r, dtype, hidden, ffn), Optional.empty(), Optional.empty(), Optional.empty()));
        }
        MatrixView embed = m(r, dtype, vocab, hidden);
        return new LlamaDecoder(c, new LlamaWeights(embed, list, ones(hidden), embed), POOL);
    }

    private static MatrixView m(SplittableRandom r, DType dtype, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        return MatrixView.of(dtype, rows, cols, v);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** What a request is made of, so the same request can be built again for its run alone. */
    record Spec(String id, int[] prompt, KvCacheSettings kv, double temperature, long seed, int maxNew, Set<Integer> eos, int arrival) {
        GenerationRequest request(LlamaDecoder d) {
            Sampler sampler = temperature == 0 ? Sampler.greedy() : Sampler.sampling(temperature, 0, 0.9, seed);
            return new GenerationRequest(id, prompt.length, kv, () -> {
                LlamaSequence s = new LlamaSequence(d, kv);
                Modality[] modality = new Modality[prompt.length];
                for (int t = 0; t < prompt.length; t++) modality[t] = prompt[t] % 3 == 0 ? Modality.VISION : Modality.TEXT;
                s.queuePrompt(d.embed(prompt), modality);
                return s;
            }, sampler, new StopCondition(eos, maxNew));
        }
    }

    static Spec randomSpec(SplittableRandom r, int i, TextDecoderConfig config) {
        int vocab = config.vocabSize();
        KvMode mode = KvMode.values()[r.nextInt(KvMode.values().length)];
        KvCacheSettings kv = KvCacheSettings.defaults(mode).withLayers(r.nextBoolean() ? KvLayerTable.DEFAULT : KvLayerTable.LLAVA_16_MISTRAL);
        if (mode.readsLayerTable()) kv = kv.withWindow(r.nextInt(6)).withPivots(r.nextInt(3));
        if (mode == KvMode.AKVQ_KC) kv = kv.withKeyBlock(1 << r.nextInt(4));     // blocks that fill in a short sequence
        if (mode.needsChannelCalibration()) kv = kv.withChannels(randomChannels(r, config));
        int[] prompt = new int[1 + r.nextInt(30)];
        for (int t = 0; t < prompt.length; t++) prompt[t] = r.nextInt(vocab);
        double temperature = r.nextBoolean() ? 0 : 0.8;
        Set<Integer> eos = r.nextBoolean() ? Set.of(r.nextInt(vocab)) : Set.of();
        return new Spec("r" + i, prompt, kv, temperature, r.nextLong(), 1 + r.nextInt(12), eos, r.nextInt(10));
    }

    /** Channel statistics of random keys, values and queries, shaped as {@link #decoder}'s layers. */
    static KvChannelStatistics randomChannels(SplittableRandom r, TextDecoderConfig c) {
        int layers = c.numHiddenLayers(), kvHeads = c.numKeyValueHeads(), headDim = c.headDim(), heads = c.numAttentionHeads(), tokens = 8;
        KvChannelStatistics stats = new KvChannelStatistics(layers, kvHeads, headDim);
        for (int l = 0; l < layers; l++) {
            stats.addKeys(l, gaussian(r, tokens * kvHeads * headDim), tokens);
            stats.addValues(l, gaussian(r, tokens * kvHeads * headDim), tokens);
            stats.addQueries(l, gaussian(r, tokens * heads * headDim), tokens, heads);
        }
        return stats;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** Collects each request's tokens as streamed and its result. */
    static final class Recorder implements GenerationListener {
        final Map<String, List<Integer>> streamed = new HashMap<>();
        final Map<String, GenerationResult> results = new HashMap<>();

        @Override
        public void onToken(RequestHandle request, int token) {
            streamed.computeIfAbsent(request.id(), k -> new ArrayList<>()).add(token);
        }

        @Override
        public void onFinish(RequestHandle request, GenerationResult result) {
            assertTrue(results.put(request.id(), result) == null, request.id() + " finished twice");
        }
    }

    static GenerationResult alone(LlamaDecoder d, Spec spec, int chunk) {
        BatchScheduler s = new BatchScheduler(d, SchedulerSettings.defaults().withChunk(chunk).withMaxBatch(1));
        Recorder rec = new Recorder();
        s.submit(spec.request(d), rec);
        s.runUntilIdle();
        return rec.results.get(spec.id());
    }

    /** Runs the specs together, each submitted at its arrival step; checks the budget after every step. */
    static Recorder together(LlamaDecoder d, List<Spec> specs, SchedulerSettings settings, KvProjection projection) {
        BatchScheduler s = new BatchScheduler(d, settings, projection);
        Recorder rec = new Recorder();
        for (int step = 0; rec.results.size() < specs.size(); step++) {
            for (Spec spec : specs) if (spec.arrival() == step) s.submit(spec.request(d), rec);
            s.step();
            BatchScheduler.Stats st = s.stats();
            assertTrue(st.running() <= settings.maxBatch(), "running " + st.running());
            assertTrue(st.running() <= 1 || st.kvBytesInUse() <= settings.kvBudgetBytes(),
                    "step " + step + ": " + st.kvBytesInUse() + " bytes in use, budget " + settings.kvBudgetBytes());
            if (projection == KvProjection.UPPER_BOUND) assertTrue(st.kvBytesReserved() <= settings.kvBudgetBytes());
            assertTrue(step < 10_000, "the scheduler stalled");
        }
        return rec;
    }

    @Test
    void everyRequestGetsTheTokensItGetsAlone() {
        qt().withExamples(30).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            LlamaDecoder d = decoder(r);
            List<Spec> specs = new ArrayList<>();
            for (int i = 0, n = 1 + r.nextInt(10); i < n; i++) specs.add(randomSpec(r, i, d.config()));
            int chunk = 1 + r.nextInt(24);
            long largest = 0;
            for (Spec spec : specs) largest = Math.max(largest, new BatchScheduler(d, SchedulerSettings.defaults()).projectedBytes(spec.request(d)));
            // A budget between the largest request and room for all: requests queue for each other.
            SchedulerSettings settings = new SchedulerSettings(largest + r.nextLong(3 * largest + 1), 1 + r.nextInt(8), chunk, 64);
            Recorder rec = together(d, specs, settings, KvProjection.UPPER_BOUND);
            for (Spec spec : specs) {
                GenerationResult expected = alone(d, spec, chunk), actual = rec.results.get(spec.id());
                assertEquals(expected.tokens(), actual.tokens(), spec.id() + " (" + spec.kv().describe() + ", T " + spec.temperature() + ")");
                assertEquals(expected.reason(), actual.reason(), spec.id());
                assertEquals(expected.kvBytes(), actual.kvBytes(), spec.id());
                assertEquals(actual.tokens(), rec.streamed.getOrDefault(spec.id(), List.of()), spec.id() + ": streamed tokens");
            }
        });
    }

    @Test
    void preemptedSequencesAreRecomputedToTheSameTokens() {
        // A projection of 1 byte per token admits everything; the real caches then exceed the budget.
        KvProjection tooLow = (settings, config, tokens) -> tokens;
        int[] preemptions = {0};
        qt().withExamples(6).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            LlamaDecoder d = decoder(r);
            List<Spec> specs = new ArrayList<>();
            for (int i = 0; i < 6; i++) specs.add(randomSpec(r, i, d.config()));
            int chunk = 1 + r.nextInt(16);
            long budget = 2L * d.config().numHiddenLayers() * d.config().numKeyValueHeads() * 16 * 2 * 40;   // 40 fp16 tokens
            Recorder rec = together(d, specs, new SchedulerSettings(budget, 8, chunk, 64), tooLow);
            int preempted = 0;
            for (Spec spec : specs) {
                GenerationResult actual = rec.results.get(spec.id());
                preempted += actual.preemptions();
                assertEquals(alone(d, spec, chunk).tokens(), actual.tokens(), spec.id() + " preempted " + actual.preemptions() + " times");
                assertEquals(actual.tokens(), rec.streamed.getOrDefault(spec.id(), List.of()), spec.id() + ": each token streamed once");
            }
            preemptions[0] += preempted;
        });
        assertTrue(preemptions[0] > 0, "nothing was preempted in 6 runs of 6 requests under a budget of 40 fp16 tokens");
    }

    @Test
    void theUpperBoundHoldsForRealStores() {
        qt().withExamples(25).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            LlamaDecoder d = decoder(r);
            Spec spec = randomSpec(r, 0, d.config());
            int maxNew = r.nextInt(200);
            Spec longer = new Spec("x", spec.prompt(), spec.kv(), 0, 0, Math.max(1, maxNew), Set.of(), 0);
            GenerationResult result = alone(d, longer, 1 + r.nextInt(40));
            long bound = KvProjection.UPPER_BOUND.bytes(spec.kv(), d.config(), spec.prompt().length + longer.maxNew());
            assertTrue(result.kvBytes() <= bound, spec.kv().describe() + ": " + result.kvBytes() + " bytes > bound " + bound);
            if (spec.kv().mode() == KvMode.FP32 || spec.kv().mode() == KvMode.FP16 || spec.kv().mode() == KvMode.RTN2) {
                // The last generated token is never fed back, so the cache holds one token less than projected.
                assertEquals(KvProjection.UPPER_BOUND.bytes(spec.kv(), d.config(), spec.prompt().length + longer.maxNew() - 1),
                        result.kvBytes(), spec.kv().describe() + ": the bound is exact for per-token layouts");
            }
        });
    }

    @Test
    void badRequestsFullQueuesCancelAndStop() {
        LlamaDecoder d = decoder(new SplittableRandom(11));
        Spec spec = new Spec("a", new int[] {1, 2, 3}, KvCacheSettings.defaults(KvMode.FP32), 0, 0, 8, Set.of(), 0);
        long one = new BatchScheduler(d, SchedulerSettings.defaults()).projectedBytes(spec.request(d));
        BatchScheduler small = new BatchScheduler(d, SchedulerSettings.defaults().withBudget(one - 1));
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> small.submit(spec.request(d), new Recorder()));
        assertEquals("request a: its KV cache needs up to " + one + " bytes (11 tokens at fp32), more than the whole --kv-budget of "
                + (one - 1) + " bytes", tooBig.getMessage());
        Spec tooLong = new Spec("b", new int[250], KvCacheSettings.defaults(KvMode.FP32), 0, 0, 8, Set.of(), 0);
        assertThrows(IllegalArgumentException.class, () -> small.submit(tooLong.request(d), new Recorder()));

        BatchScheduler s = new BatchScheduler(d, SchedulerSettings.defaults().withQueue(2).withMaxBatch(2));
        Recorder rec = new Recorder();
        RequestHandle a = s.submit(spec.request(d), rec);
        s.submit(new Spec("b", new int[] {4, 5}, spec.kv(), 0, 0, 8, Set.of(), 0).request(d), new GenerationListener() {
            @Override
            public void onToken(RequestHandle request, int token) {
                rec.onToken(request, token);
                if (rec.streamed.get("b").size() == 3) request.stop();
            }

            @Override
            public void onFinish(RequestHandle request, GenerationResult result) {
                rec.onFinish(request, result);
            }
        });
        QueueFullException full = assertThrows(QueueFullException.class, () -> s.submit(spec.request(d), rec));
        assertEquals("request a: the queue is full (2 requests waiting); retry later", full.getMessage());
        s.step();
        s.step();
        a.cancel();
        s.runUntilIdle();
        assertEquals(FinishReason.CANCELLED, rec.results.get("a").reason());
        assertTrue(rec.results.get("a").tokens().size() < 8);
        assertEquals(FinishReason.STOP, rec.results.get("b").reason());
        assertEquals(3, rec.results.get("b").tokens().size());
    }

    @Test
    void cancellingTheLastSequenceFreesItsBytesInTheStatsAtOnce() {
        LlamaDecoder d = decoder(new SplittableRandom(5));
        Spec spec = new Spec("c", new int[] {1, 2, 3, 4}, KvCacheSettings.defaults(KvMode.FP16), 0, 0, 50, Set.of(), 0);
        Recorder rec = new Recorder();
        try (BatchScheduler s = new BatchScheduler(d, SchedulerSettings.defaults())) {
            RequestHandle c = s.submit(spec.request(d), rec);
            s.step();
            s.step();
            assertTrue(s.stats().kvBytesInUse() > 0);
            c.cancel();
            s.runUntilIdle();
            assertEquals(FinishReason.CANCELLED, rec.results.get("c").reason());
            // Idle again: the stats a server's /metrics reads say the cache is gone, not one request later.
            assertEquals(0, s.stats().running());
            assertEquals(0, s.stats().kvBytesInUse(), "a cancelled last sequence's bytes are still counted");
        }
    }

    @Test
    void aStartedSchedulerServesRequestsFromOtherThreads() throws Exception {
        LlamaDecoder d = decoder(new SplittableRandom(12));
        Spec spec = new Spec("t", new int[] {1, 2, 3, 4}, KvCacheSettings.defaults(KvMode.AKVQ), 0, 0, 6, Set.of(), 0);
        java.util.concurrent.CompletableFuture<GenerationResult> done = new java.util.concurrent.CompletableFuture<>();
        try (BatchScheduler s = new BatchScheduler(d, SchedulerSettings.defaults())) {
            s.start();
            s.submit(spec.request(d), new GenerationListener() {
                @Override
                public void onToken(RequestHandle request, int token) {}

                @Override
                public void onFinish(RequestHandle request, GenerationResult result) {
                    done.complete(result);
                }
            });
            GenerationResult result = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(alone(d, spec, SchedulerSettings.DEFAULT_CHUNK).tokens(), result.tokens());
        }
    }

    @Test
    void budgetsParse() {
        assertEquals(2L << 30, SchedulerSettings.parseBytes("2GiB"));
        assertEquals(512L << 20, SchedulerSettings.parseBytes("512MiB"));
        assertEquals(3L << 29, SchedulerSettings.parseBytes("1.5G"));
        assertEquals(1048576, SchedulerSettings.parseBytes("1048576"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> SchedulerSettings.parseBytes("2 parsecs"));
        assertEquals("a byte count like 2GiB, 512MiB or 1048576 expected, got '2 parsecs'", bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SchedulerSettings.parseBytes("0"));
    }
}
