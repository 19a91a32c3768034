package dev.akvq.model.eval;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvFootprint;
import dev.akvq.quant.kv.KvMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Teacher-forced perplexity of a long text and KL from FP32 of every KV mode ({@code akvq eval
 * --text}), for any family's language model (a VLM runs on the text alone).
 *
 * <p>Windows follow Hugging Face's perplexity guide (strided sliding window): a window of at most
 * {@code window} tokens starts every {@code stride} tokens; it scores only the tokens the previous
 * window did not score (its last {@code end - previousEnd}), each predicted from every earlier
 * token of the window; the window's first token is never scored (nothing precedes it inside the
 * window). With {@code stride == window} the windows do not overlap and every token but each
 * window's first is scored once.
 *
 * <p>In a window, the tokens before the first scored one (the context: one token without overlap)
 * are the prompt and are prefilled as {@code akvq eval --set} prefills a prompt: over unquantized
 * K/V by default, over the quantized cache with {@code --kv-prefill-quantized}. Every scored token
 * is then fed one at a time as decode feeds a generated token ({@link TokenSequence#step}), so it
 * attends over the mode's store as decode reads it: this is where the KV quantization error shows.
 * All modes run in lockstep, each in its own cache, FP32 first as the reference: at every step
 * the next-token distribution of each mode is scored (NLL of the true token) and compared with
 * FP32's (KL(p_fp32 || p_mode), nats). An {@code fp32} entry runs its own cache too, so its KL is a
 * check that the reference is deterministic: it is exactly 0.
 */
public final class TextPerplexity {
    private TextPerplexity() {}

    /**
     * Tokens {@code [begin, end)} of the text run through one cache; {@code [scoredFrom, end)} are
     * scored, each from the tokens before it in the window.
     */
    public record Window(int begin, int scoredFrom, int end) {
        public int scored() {
            return end - scoredFrom;
        }
    }

    /** The strided windows over {@code tokens} tokens (Hugging Face's loop: begin += stride until a window reaches the end). */
    public static List<Window> windows(int tokens, int window, int stride) {
        if (window < 2 || stride < 1 || stride > window) {
            throw new IllegalArgumentException("window " + window + " and stride " + stride + ": expected window >= 2 and 1 <= stride <= window");
        }
        List<Window> windows = new ArrayList<>();
        int previousEnd = 0;
        for (int begin = 0; begin < tokens; begin += stride) {
            int end = Math.min(begin + window, tokens);
            int scoredFrom = Math.max(previousEnd, begin + 1);
            if (scoredFrom < end) windows.add(new Window(begin, scoredFrom, end));
            previousEnd = end;
            if (end == tokens) break;
        }
        return windows;
    }

    /**
     * One mode over the text.
     *
     * @param scored         tokens scored
     * @param nllSum         sum of -log p(token) over them, nats
     * @param klSum          sum of KL(p_fp32 || p_mode) over them, nats
     * @param kvBytes        the cache's exact bytes at the end of each window, summed; {@code kvValues} the values they hold
     * @param largestKvBytes the cache's bytes at the end of the longest window
     */
    public record ModeResult(String name, String settings, int scored, double nllSum, double klSum, long kvBytes, long kvValues,
                             long largestKvBytes) {
        public double meanNll() {
            return nllSum / scored;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }

        public double meanKl() {
            return klSum / scored;
        }

        public double bitsPerValue() {
            return kvValues == 0 ? Double.NaN : 8.0 * kvBytes / kvValues;
        }

        String jsonFields() {
            return String.format(Locale.ROOT, "\"mode\": %s, \"settings\": %s, \"tokens_scored\": %d, \"mean_nll\": %s, "
                            + "\"perplexity\": %s, \"kl_vs_fp32\": %s, \"bits_per_value\": %s, \"kv_bytes\": %d",
                    EvalReport.quote(name), EvalReport.quote(settings), scored, EvalReport.number(meanNll()), EvalReport.number(perplexity()),
                    EvalReport.number(meanKl()), EvalReport.number(bitsPerValue()), largestKvBytes);
        }
    }

    /** The modes' results, FP32's reference (the same pass as every mode's KL), the windows and the wall time. */
    public record Report(List<ModeResult> modes, ModeResult reference, int tokens, int window, int stride, int windows,
                         double seconds) {
        /** One line per mode, then the reference and the windows. */
        public String table() {
            StringBuilder b = new StringBuilder();
            int width = Math.max(4, modes.stream().mapToInt(r -> r.name().length()).max().orElse(4));
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %7s  %9s  %11s  %10s  %8s  %10s%n", "mode", "scored", "mean NLL",
                    "perplexity", "KL vs fp32", "bits/val", "KV bytes"));
            for (ModeResult r : modes) {
                b.append(String.format(Locale.ROOT, "%-" + width + "s  %7d  %9.5f  %11.4f  %10.3e  %8.4f  %10d%n", r.name(), r.scored(),
                        r.meanNll(), r.perplexity(), r.meanKl(), r.bitsPerValue(), r.largestKvBytes()));
            }
            b.append(String.format(Locale.ROOT, "fp32 reference: perplexity %.4f over %d of %d tokens; %d windows of %d, stride %d (%.1f s)%n",
                    reference.perplexity(), reference.scored(), tokens, windows, window, stride, seconds));
            return b.toString();
        }

        /** One line of JSON: the first mode's fields at the top level, every mode under {@code "modes"}, as eval --set writes. */
        public String json() {
            StringBuilder b = new StringBuilder("{").append(modes.getFirst().jsonFields());
            b.append(String.format(Locale.ROOT, ", \"tokens\": %d, \"window\": %d, \"stride\": %d, \"windows\": %d, "
                    + "\"fp32_perplexity\": %s, \"seconds\": %s, \"modes\": [", tokens, window, stride, windows,
                    EvalReport.number(reference.perplexity()), EvalReport.number(seconds)));
            for (int i = 0; i < modes.size(); i++) b.append(i == 0 ? "{" : ", {").append(modes.get(i).jsonFields()).append('}');
            return b.append("]}").toString();
        }
    }

    /**
     * Scores {@code ids} (the text as the model's tokenizer encodes it) under every mode. Windows
     * longer than the model's {@code max_position_embeddings} are refused. {@code progress}
     * receives a line per window; once {@code stop} is set no new window starts and the report
     * covers the windows done.
     */
    public static Report evaluate(VisionLanguageModel model, int[] ids, List<PromptSetEval.Mode> modes, int window, int stride,
                                  Consumer<String> progress, AtomicBoolean stop) {
        if (ids.length < 2) throw new IllegalArgumentException("the text has " + ids.length + " token(s); at least 2 are needed to score one");
        int maxPositions = model.decoder().config().maxPositionEmbeddings();
        if (Math.min(window, ids.length) > maxPositions) {
            throw new IllegalArgumentException("a window of " + Math.min(window, ids.length) + " tokens exceeds max_position_embeddings "
                    + maxPositions + " of " + model.directory().resolve("config.json"));
        }
        long start = System.nanoTime();
        List<Window> windows = windows(ids.length, window, stride);
        // Before any work: every window must be a prompt the family takes (ids in the vocabulary, no
        // image placeholder without its image: a VLM scores its language model on text only).
        for (Window w : windows) {
            try {
                model.prepare(PromptInput.ids(Arrays.copyOfRange(ids, w.begin(), w.end())), Trace.NONE);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tokens " + w.begin() + "-" + w.end() + " of the text: " + e.getMessage(), e);
            }
        }
        KvCacheSettings fp32 = KvCacheSettings.defaults(KvMode.FP32);
        Totals reference = new Totals();
        Totals[] totals = new Totals[modes.size()];
        for (int m = 0; m < totals.length; m++) totals[m] = new Totals();
        int done = 0;
        for (Window w : windows) {
            if (stop.get()) break;
            PreparedPrompt context = model.prepare(PromptInput.ids(Arrays.copyOfRange(ids, w.begin(), w.scoredFrom())), Trace.NONE);
            TokenSequence[] sequences = new TokenSequence[modes.size()];
            try (TokenSequence referenceSequence = model.prefill(context, fp32, Trace.NONE)) {
                for (int m = 0; m < modes.size(); m++) sequences[m] = model.prefill(context, modes.get(m).settings(), Trace.NONE);
                for (int t = w.scoredFrom(); t < w.end(); t++) {
                    float[] referenceLogits = referenceSequence.logits();
                    double[] logP = logSoftmax(referenceLogits);
                    reference.nll -= logP[ids[t]];
                    for (int m = 0; m < modes.size(); m++) {
                        double[] modeLogP = logSoftmax(sequences[m].logits());
                        totals[m].nll -= modeLogP[ids[t]];
                        totals[m].kl += kl(logP, modeLogP);
                    }
                    if (t + 1 < w.end()) {
                        referenceSequence.step(ids[t]);
                        for (TokenSequence s : sequences) s.step(ids[t]);
                    }
                }
                reference.add(w, referenceSequence);
                for (int m = 0; m < modes.size(); m++) totals[m].add(w, sequences[m]);
            } finally {
                for (TokenSequence s : sequences) if (s != null) s.close();
            }
            done++;
            progress.accept(String.format(Locale.ROOT, "akvq eval: window %d/%d (tokens %d-%d, %d scored), %d modes (%.1f s)", done,
                    windows.size(), w.begin(), w.end(), w.scored(), modes.size(), (System.nanoTime() - start) / 1e9));
        }
        if (done < windows.size()) progress.accept("akvq eval: stopped after " + done + " of " + windows.size() + " windows");
        List<ModeResult> results = new ArrayList<>();
        for (int m = 0; m < modes.size(); m++) results.add(totals[m].result(modes.get(m).name(), modes.get(m).settings().describe()));
        return new Report(results, reference.result("fp32", fp32.describe()), ids.length, window, stride, done,
                (System.nanoTime() - start) / 1e9);
    }

    /** Sums of one mode over the windows done. */
    private static final class Totals {
        int scored;
        double nll, kl;
        long bytes, values, largestBytes;
        int largestWindow = -1;

        void add(Window w, TokenSequence sequence) {
            scored += w.scored();
            KvFootprint footprint = KvFootprint.sum(sequence.cache().stream().map(KeyValueStore::footprint).toList());
            bytes += footprint.bytes();
            values += footprint.values();
            if (w.end() - w.begin() > largestWindow) {
                largestWindow = w.end() - w.begin();
                largestBytes = footprint.bytes();
            }
        }

        ModeResult result(String name, String settings) {
            return new ModeResult(name, settings, scored, nll, kl, bytes, values, largestBytes);
        }
    }

    /** log softmax of {@code logits} in double. */
    static double[] logSoftmax(float[] logits) {
        double lse = PromptSetEval.logSumExp(logits);
        double[] logP = new double[logits.length];
        for (int i = 0; i < logits.length; i++) logP[i] = logits[i] - lse;
        return logP;
    }

    /** KL(p || q) in nats from both log-probabilities; 0 exactly when they are equal. */
    static double kl(double[] logP, double[] logQ) {
        double sum = 0;
        for (int i = 0; i < logP.length; i++) sum += Math.exp(logP[i]) * (logP[i] - logQ[i]);
        return Math.max(0, sum);
    }
}
