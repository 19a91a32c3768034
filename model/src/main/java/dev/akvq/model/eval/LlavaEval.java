package dev.akvq.model.eval;

import dev.akvq.image.ImageProcessor;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.Trace;
import dev.akvq.model.generate.Greedy;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPixels;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvFootprint;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Scores KV-cache modes on an evaluation set (the llava-shapes format, {@link EvalRow}) with a
 * LLaVA model, as the fixture's README describes: greedy, at most {@value #MAX_NEW_TOKENS} new
 * tokens, stop at EOS, exact match of the generated ids against {@code answer_ids}.
 *
 * <p>Per row, once for every mode: the prompt is built from {@code prompt} (tokenizer.json,
 * LlavaProcessor's {@code <image>} expansion) and must equal the row's {@code input_ids} (a row
 * that does not is reported and counted as failed, never run); the images go through
 * preprocessor_config.json and the vision tower (each distinct file once: a tower row depends only
 * on its own image); FP32 decodes greedily and must give {@code fp32.generated_ids}. Then each
 * mode's cache is fed FP32's tokens (teacher forcing): every step's next-token distribution gives
 * {@code KL(p_fp32 || p_mode)}. While the mode's own argmax equals FP32's token at every step,
 * that run <em>is</em> the mode's greedy run; where it first differs, the mode decodes again on
 * its own for its answer. Rows run in parallel, one single-threaded model per worker, so results
 * do not depend on the thread count (to the last bits of quant's packed-code dot, whose lane sum order varies with
 * the JIT).
 */
public final class LlavaEval implements AutoCloseable {
    public static final int MAX_NEW_TOKENS = 12;

    /** A mode to score: a name for the table and its cache settings. */
    public record Mode(String name, KvCacheSettings settings) {
        boolean isFp32() {
            return settings.mode() == KvMode.FP32 && !settings.rotation();
        }
    }

    /** A row that failed a check: its id and what was wrong. */
    public record Problem(String id, String problem) {}

    private final Path dir;
    private final LlavaConfig config;
    private final LlavaPrompt prompt;
    private final ImageProcessor processor;
    private final StopCondition stop;
    private final Checkpoint checkpoint;
    private final List<WorkerPool> pools = new ArrayList<>();
    private final BlockingQueue<LlavaModel> models;
    private final int workers;
    /** Projector rows [tokensPerImage, hidden] per image file. */
    private final Map<Path, float[]> features = new ConcurrentHashMap<>();

    /** Loads the model in {@code dir} once per worker ({@code workers} rows decode at a time). */
    public LlavaEval(Path dir, int workers) {
        if (!(ModelConfig.load(dir) instanceof LlavaConfig llava)) {
            throw new IllegalArgumentException(dir + "/config.json: eval needs a LLaVA model (model_type llava), found "
                    + ModelConfig.load(dir).modelType());
        }
        this.dir = dir;
        this.config = llava;
        this.prompt = LlavaPrompt.load(dir, llava, Tokenizer.load(dir));
        this.processor = ImageProcessor.load(dir);
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
        this.stop = StopCondition.of(generation, llava.textConfig(), MAX_NEW_TOKENS);
        this.workers = workers;
        this.checkpoint = Checkpoint.open(dir);
        this.models = new ArrayBlockingQueue<>(workers);
        for (int i = 0; i < workers; i++) {
            WorkerPool pool = WorkerPool.create(1);
            pools.add(pool);
            models.add(LlavaModel.load(checkpoint, llava, pool));
        }
    }

    @Override
    public void close() {
        pools.forEach(WorkerPool::close);
        checkpoint.close();
    }

    /**
     * Runs every row through FP32 and every mode. {@code progress} receives a line now and then.
     */
    public EvalReport evaluate(List<EvalRow> rows, List<Mode> modes, Consumer<String> progress) {
        long start = System.nanoTime();
        RowResult[] results = new RowResult[rows.size()];
        AtomicInteger done = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "akvq-eval");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                int index = i;
                futures.add(executor.submit(() -> {
                    LlavaModel model = models.take();
                    try {
                        results[index] = evaluateRow(model, rows.get(index), modes);
                    } finally {
                        models.add(model);
                    }
                    int d = done.incrementAndGet();
                    if (d % 20 == 0 || d == rows.size()) {
                        progress.accept(String.format("akvq eval: %d/%d prompts, %d modes (%.1f s)", d, rows.size(), modes.size(),
                                (System.nanoTime() - start) / 1e9));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("eval interrupted", e);
        } finally {
            executor.shutdownNow();
        }
        return EvalReport.of(modes, Arrays.asList(results), (System.nanoTime() - start) / 1e9);
    }

    /** One row's checks and every mode's outcome on it ({@code modes.get(m)} at {@code perMode[m]}). */
    record RowResult(EvalRow row, String mismatch, String fp32Disagreement, ModeOutcome[] perMode) {}

    /**
     * What one mode did on one row.
     *
     * @param generated    the mode's own greedy ids
     * @param klSum        sum over the teacher-forced steps of KL(p_fp32 || p_mode), nats
     * @param answerMargin top-1 minus top-2 logit at step answer_token_index of the mode's own run (NaN if it stopped before)
     * @param decodeSteps  tokens fed back ({@code step}); {@code decodeNanos} their time
     */
    record ModeOutcome(int[] generated, double klSum, int klSteps, double answerMargin, List<KvFootprint> layerFootprints,
                       int promptTokens, long prefillNanos, int decodeSteps, long decodeNanos) {
        /** The whole cache: every layer's segments summed. */
        KvFootprint footprint() {
            return KvFootprint.sum(layerFootprints);
        }
    }

    private RowResult evaluateRow(LlavaModel model, EvalRow row, List<Mode> modes) {
        int[] ids;
        try {
            ids = prompt.encode(row.prompt(), row.images().size());
        } catch (IllegalArgumentException e) {
            return new RowResult(row, e.getMessage(), null, null);
        }
        String mismatch = compare(ids, row.inputIds());
        if (mismatch != null) return new RowResult(row, mismatch, null, null);

        int perImage = model.tokensPerImage(), hidden = config.textConfig().hiddenSize();
        float[] imageRows = new float[row.images().size() * perImage * hidden];
        for (int i = 0; i < row.images().size(); i++) {
            System.arraycopy(imageFeatures(model, row.images().get(i)), 0, imageRows, i * perImage * hidden, perImage * hidden);
        }
        model.checkImageTokens(ids, row.images().size());
        Prepared p = new Prepared(new PreparedPrompt(ids, model.mergedEmbeddings(ids, imageRows), model.modality(ids),
                Optional.empty()), row.answerTokenIndex());

        Decoded fp32 = decode(model, p, KvCacheSettings.defaults(KvMode.FP32), null, null, true);
        String disagreement = Arrays.equals(fp32.tokens, row.fp32Generated()) ? null
                : "generated " + Arrays.toString(fp32.tokens) + ", fp32.generated_ids " + Arrays.toString(row.fp32Generated());
        ModeOutcome[] perMode = new ModeOutcome[modes.size()];
        for (int m = 0; m < modes.size(); m++) {
            Mode mode = modes.get(m);
            if (mode.isFp32()) {
                perMode[m] = fp32.outcome(p, 0, fp32.tokens.length);
                continue;
            }
            Decoded forced = decode(model, p, mode.settings(), fp32.tokens, fp32, false);
            Decoded own = forced.divergedAt < 0 ? forced : decode(model, p, mode.settings(), null, null, false);
            perMode[m] = own.outcome(p, forced.klSum, forced.klSteps);
        }
        return new RowResult(row, null, disagreement, perMode);
    }

    private float[] imageFeatures(LlavaModel model, Path file) {
        float[] cached = features.get(file);
        if (cached != null) return cached;
        float[] pixels = LlavaPixels.pixelValues(processor, dir, List.of(file), config);
        float[] rows = model.imageFeatures(pixels, 1, Trace.NONE);
        features.putIfAbsent(file, rows);
        return rows;
    }

    /** Null when equal, else where the prompt we built and the row's input_ids first differ. */
    static String compare(int[] ours, int[] expected) {
        if (Arrays.equals(ours, expected)) return null;
        int i = 0;
        while (i < ours.length && i < expected.length && ours[i] == expected[i]) i++;
        return "prompt ids differ from input_ids at index " + i + ": built " + ours.length + " ids"
                + (i < ours.length ? " (" + ours[i] + " there)" : "") + ", input_ids has " + expected.length
                + (i < expected.length ? " (" + expected[i] + " there)" : "");
    }

    /** A row's decoder inputs (merged embeddings, each position's modality) and its answer word's step. */
    private record Prepared(PreparedPrompt prompt, int answerTokenIndex) {}

    /** One decode of a prepared row. */
    private static final class Decoded {
        int[] tokens;                 // argmax at every step
        float[] margins;              // top-1 minus top-2 logit at every step
        List<double[]> logP, p;       // every step's log-probabilities and probabilities (FP32 reference only)
        int divergedAt = -1;          // first step whose argmax differs from the forced token
        double klSum;
        int klSteps;
        List<KvFootprint> layerFootprints;   // each layer's cache at the end of the decode
        long prefillNanos, decodeNanos;
        int decodeSteps;

        ModeOutcome outcome(Prepared p, double kl, int steps) {
            double margin = p.answerTokenIndex < margins.length ? margins[p.answerTokenIndex] : Double.NaN;
            return new ModeOutcome(tokens, kl, steps, margin, layerFootprints, p.prompt.tokens(), prefillNanos, decodeSteps, decodeNanos);
        }
    }

    /**
     * Prefill, then greedy ({@code forced == null}: stop at EOS or after {@value #MAX_NEW_TOKENS}) or
     * teacher-forced along {@code forced} (one step per token; each step's KL against
     * {@code reference}'s logits of the same step).
     */
    private Decoded decode(LlavaModel model, Prepared p, KvCacheSettings settings, int[] forced, Decoded reference,
                           boolean keepLogits) {
        Decoded d = new Decoded();
        long t0 = System.nanoTime();
        TokenSequence sequence = model.prefill(p.prompt, settings, Trace.NONE);
        float[] logits = sequence.logits();
        d.prefillNanos = System.nanoTime() - t0;
        List<Integer> tokens = new ArrayList<>();
        List<Float> margins = new ArrayList<>();
        if (keepLogits) {
            d.logP = new ArrayList<>();
            d.p = new ArrayList<>();
        }
        for (int step = 0; ; step++) {
            int argmax = Greedy.argmax(logits);
            tokens.add(argmax);
            margins.add(topTwoMargin(logits, argmax));
            if (keepLogits) {
                double lse = logSumExp(logits);
                double[] logP = new double[logits.length], probability = new double[logits.length];
                for (int i = 0; i < logits.length; i++) {
                    logP[i] = logits[i] - lse;
                    probability[i] = Math.exp(logP[i]);
                }
                d.logP.add(logP);
                d.p.add(probability);
            }
            if (reference != null) {
                d.klSum += kl(reference.p.get(step), reference.logP.get(step), logits);
                d.klSteps++;
            }
            int next = forced == null ? argmax : forced[step];
            if (forced != null && argmax != next && d.divergedAt < 0) d.divergedAt = step;
            boolean last = forced == null ? stop.isEos(next) || tokens.size() >= stop.maxNewTokens() : step + 1 == forced.length;
            if (last) break;
            long s = System.nanoTime();
            logits = sequence.step(next);
            d.decodeNanos += System.nanoTime() - s;
            d.decodeSteps++;
        }
        d.tokens = tokens.stream().mapToInt(Integer::intValue).toArray();
        d.margins = new float[margins.size()];
        for (int i = 0; i < d.margins.length; i++) d.margins[i] = margins.get(i);
        d.layerFootprints = new ArrayList<>();
        for (KeyValueStore store : sequence.cache()) d.layerFootprints.add(store.footprint());
        sequence.close();
        return d;
    }

    static float topTwoMargin(float[] logits, int argmax) {
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (i != argmax && logits[i] > second) second = logits[i];
        return logits[argmax] - second;
    }

    static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }

    /** KL(p || softmax(q)) in nats: {@code p} and {@code logP} the reference distribution, {@code q} logits. */
    static double kl(double[] p, double[] logP, float[] q) {
        double lseQ = logSumExp(q), sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] * (logP[i] - (q[i] - lseQ));
        return Math.max(0, sum);
    }
}
