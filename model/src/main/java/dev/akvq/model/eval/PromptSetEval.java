package dev.akvq.model.eval;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.Greedy;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvFootprint;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.MatchedBits;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Scores KV-cache modes on an evaluation set ({@link EvalRow}: one format for every family) with
 * any model {@link VisionLanguageModel#load} opens, as llava-shapes' README describes: greedy, at
 * most {@value #MAX_NEW_TOKENS} new tokens, stop at EOS, exact match against the expected answer.
 *
 * <p>Per row, once for every mode: the family's {@code prepare} lays out the prompt and runs the
 * images through its preprocessing, vision tower and projector; where the row has both
 * {@code prompt} and {@code input_ids}, the ids built must equal {@code input_ids} (a row that does
 * not, or whose prompt does not fit its images, is reported and counted as failed, never run);
 * FP32 decodes greedily and must give {@code fp32.generated_ids} where the row has them (FP32's own
 * ids are the reference for agreement where it has not). Then each
 * mode's cache is fed FP32's tokens (teacher forcing): every step's next-token distribution gives
 * {@code KL(p_fp32 || p_mode)}. While the mode's own argmax equals FP32's token at every step,
 * that run <em>is</em> the mode's greedy run; where it first differs, the mode decodes again on
 * its own for its answer. Rows run in parallel, one single-threaded model per worker, so results
 * do not depend on the thread count (to the last bits of quant's packed-code dot, whose lane sum order varies with
 * the JIT).
 */
public final class PromptSetEval implements AutoCloseable {
    public static final int MAX_NEW_TOKENS = 12;

    /** A mode to score: a name for the table and its cache settings. */
    public record Mode(String name, KvCacheSettings settings) {
        boolean isFp32() {
            return settings.mode() == KvMode.FP32 && !settings.rotation();
        }
    }

    /** A row that failed a check: its id and what was wrong. */
    public record Problem(String id, String problem) {}

    private final TextDecoderConfig text;
    private final StopCondition stop;
    private final Checkpoint checkpoint;
    private final List<WorkerPool> pools = new ArrayList<>();
    private final BlockingQueue<VisionLanguageModel> models;
    private final int workers;

    /** Loads the model in {@code dir} once per worker ({@code workers} rows decode at a time), its family by config.json. */
    public PromptSetEval(Path dir, int workers) {
        ModelConfig config = ModelConfig.load(dir);
        this.workers = workers;
        this.checkpoint = Checkpoint.open(dir);
        this.models = new ArrayBlockingQueue<>(workers);
        try {
            for (int i = 0; i < workers; i++) {
                WorkerPool pool = WorkerPool.create(1);
                pools.add(pool);
                models.add(VisionLanguageModel.load(config, checkpoint, pool));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        this.text = models.peek().decoder().config();
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
        this.stop = StopCondition.of(generation, text, MAX_NEW_TOKENS);
    }

    @Override
    public void close() {
        pools.forEach(WorkerPool::close);
        checkpoint.close();
    }

    /**
     * The set's sequences as a cache sees them (each prompt position's modality, tokens fed back
     * after the prompt: fp32.generated_ids less the last, else {@value #MAX_NEW_TOKENS} less one),
     * for {@link MatchedBits}; rows whose prompt does not fit are left out (eval reports them).
     */
    public List<MatchedBits.Layout> layouts(List<EvalRow> rows) {
        VisionLanguageModel model = models.peek();
        List<MatchedBits.Layout> layouts = new ArrayList<>();
        for (EvalRow row : rows) {
            try {
                PreparedPrompt prepared = model.prepare(row.promptInput(), Trace.NONE);
                int fed = row.fp32Generated().map(g -> g.length).orElse(MAX_NEW_TOKENS) - 1;
                layouts.add(new MatchedBits.Layout(prepared.modality(), Math.max(0, fed)));
            } catch (IllegalArgumentException e) {
                // counted as a mismatch by evaluate()
            }
        }
        return layouts;
    }

    /** The decoder's cache dimensions. */
    public MatchedBits.Shape cacheShape() {
        var t = text;
        return new MatchedBits.Shape(t.numHiddenLayers(), t.numKeyValueHeads(), t.headDim(), t.hiddenSize());
    }

    /**
     * Runs every row through FP32 and every mode. {@code progress} receives a line now and then.
     */
    public EvalReport evaluate(List<EvalRow> rows, List<Mode> modes, Consumer<String> progress) {
        return evaluate(rows, modes, progress, new java.util.concurrent.atomic.AtomicBoolean());
    }

    /**
     * As {@link #evaluate(List, List, Consumer)}; once {@code stop} is set (Ctrl-C) no new row
     * starts, the rows in flight finish, and the report covers the rows that finished.
     */
    public EvalReport evaluate(List<EvalRow> rows, List<Mode> modes, Consumer<String> progress,
                               java.util.concurrent.atomic.AtomicBoolean stop) {
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
                    if (stop.get()) return null;
                    VisionLanguageModel model = models.take();
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
        List<RowResult> finished = Arrays.stream(results).filter(java.util.Objects::nonNull).toList();
        if (finished.size() < rows.size()) progress.accept("akvq eval: stopped after " + finished.size() + " of " + rows.size() + " prompts");
        return EvalReport.of(modes, finished, (System.nanoTime() - start) / 1e9);
    }

    /**
     * One row's checks and every mode's outcome on it ({@code modes.get(m)} at {@code perMode[m]});
     * {@code reference} the ids agreement is counted against (fp32.generated_ids, else FP32's own).
     */
    record RowResult(EvalRow row, String mismatch, String fp32Disagreement, ModeOutcome[] perMode, int[] reference) {}

    /**
     * What one mode did on one row.
     *
     * @param generated    the mode's own greedy ids
     * @param exact        they are the expected answer (answer_ids, else answer_text); false without one
     * @param answerWord   the answer word (answer_ids[answer_token_index]) generated at its step; false without one
     * @param klSum        sum over the teacher-forced steps of KL(p_fp32 || p_mode), nats
     * @param answerMargin top-1 minus top-2 logit at step answer_token_index (without one, the first step) of the mode's own run
     *                     (NaN if it stopped before)
     * @param decodeSteps  tokens fed back ({@code step}); {@code decodeNanos} their time
     */
    record ModeOutcome(int[] generated, boolean exact, boolean answerWord, double klSum, int klSteps, double answerMargin, List<KvFootprint> layerFootprints,
                       int promptTokens, long prefillNanos, int decodeSteps, long decodeNanos) {
        /** The whole cache: every layer's segments summed. */
        KvFootprint footprint() {
            return KvFootprint.sum(layerFootprints);
        }
    }

    private RowResult evaluateRow(VisionLanguageModel model, EvalRow row, List<Mode> modes) {
        PreparedPrompt prepared;
        try {
            prepared = model.prepare(row.promptInput(), Trace.NONE);
        } catch (IllegalArgumentException e) {
            return new RowResult(row, e.getMessage(), null, null, null);
        }
        String mismatch = row.prompt().isPresent() && row.inputIds().isPresent() ? compare(prepared.ids(), row.inputIds().get()) : null;
        if (mismatch != null) return new RowResult(row, mismatch, null, null, null);
        Prepared p = new Prepared(prepared, row.answerTokenIndex().orElse(0));

        Decoded fp32 = decode(model, p, KvCacheSettings.defaults(KvMode.FP32), null, null, true);
        int[] reference = row.fp32Generated().orElse(fp32.tokens);
        String disagreement = Arrays.equals(fp32.tokens, reference) ? null
                : "generated " + Arrays.toString(fp32.tokens) + ", fp32.generated_ids " + Arrays.toString(reference);
        ModeOutcome[] perMode = new ModeOutcome[modes.size()];
        for (int m = 0; m < modes.size(); m++) {
            Mode mode = modes.get(m);
            if (mode.isFp32()) {
                perMode[m] = fp32.outcome(model, row, p, 0, fp32.tokens.length);
                continue;
            }
            Decoded forced = decode(model, p, mode.settings(), fp32.tokens, fp32, false);
            Decoded own = forced.divergedAt < 0 ? forced : decode(model, p, mode.settings(), null, null, false);
            perMode[m] = own.outcome(model, row, p, forced.klSum, forced.klSteps);
        }
        return new RowResult(row, null, disagreement, perMode, reference);
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

        ModeOutcome outcome(VisionLanguageModel model, EvalRow row, Prepared p, double kl, int steps) {
            double margin = p.answerTokenIndex < margins.length ? margins[p.answerTokenIndex] : Double.NaN;
            boolean exact = row.answerIds().map(a -> Arrays.equals(tokens, a))
                    .orElseGet(() -> row.answerText().map(t -> model.tokenizer().decode(tokens, true).strip().equals(t.strip())).orElse(false));
            int i = row.answerTokenIndex().orElse(-1);
            boolean word = i >= 0 && tokens.length > i && tokens[i] == row.answerIds().orElseThrow()[i];
            return new ModeOutcome(tokens, exact, word, kl, steps, margin, layerFootprints, p.prompt.tokens(), prefillNanos, decodeSteps, decodeNanos);
        }
    }

    /**
     * Prefill, then greedy ({@code forced == null}: stop at EOS or after {@value #MAX_NEW_TOKENS}) or
     * teacher-forced along {@code forced} (one step per token; each step's KL against
     * {@code reference}'s logits of the same step).
     */
    private Decoded decode(VisionLanguageModel model, Prepared p, KvCacheSettings settings, int[] forced, Decoded reference,
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
