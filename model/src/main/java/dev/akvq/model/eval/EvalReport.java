package dev.akvq.model.eval;

import dev.akvq.model.eval.PromptSetEval.Mode;
import dev.akvq.model.eval.PromptSetEval.ModeOutcome;
import dev.akvq.model.eval.PromptSetEval.Problem;
import dev.akvq.model.eval.PromptSetEval.RowResult;
import dev.akvq.quant.kv.KvFootprint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The metrics of an evaluation: one {@link ModeResult} per mode, and the rows that failed a check
 * (prompt ids not equal to input_ids; FP32 not reproducing fp32.generated_ids).
 *
 * @param seconds wall time of the whole evaluation (FP32 and every mode)
 * @param answers every row's generated ids per mode, in the set's order
 */
public record EvalReport(List<ModeResult> modes, List<Problem> promptMismatches, List<Problem> fp32Disagreements, int total,
                         double seconds, List<RowAnswers> answers) {

    /**
     * What each mode generated for one row, in the modes' order, and whether it was the expected
     * answer; both are null for a mismatched row.
     */
    public record RowAnswers(EvalRow row, int[][] perMode, boolean[] exact) {}

    /**
     * One mode over the set. A row whose prompt mismatched counts in {@code total} as failed and in nothing else.
     *
     * @param correct          generated ids equal to answer_ids (else the text to answer_text)
     * @param answered         rows with an expected answer (mismatched ones included): what {@code correct} counts in
     * @param answerCorrect    the answer word (answer_ids[answer_token_index]) generated at its step
     * @param answerRows       rows with an answer_token_index (mismatched ones included)
     * @param agreeFp32        generated ids equal to fp32.generated_ids (else to FP32's own)
     * @param kvBytes          the cache's exact bytes at the end of each row's decode, summed over rows; {@code kvValues} the values they hold
     * @param klVsFp32         mean over rows and steps of KL(p_fp32 || p_mode), the mode's cache fed FP32's tokens, nats
     * @param tokensPerS       decode steps (tokens fed back) per second of one sequence
     * @param prefillTokensPerS prompt tokens per second of prefill (vision tower excluded)
     * @param meanAnswerMargin top-1 minus top-2 logit at the answer word's step of the mode's own run, mean over {@code marginRows}
     * @param layerFootprints  each layer's cache (segments: codes, scales, zeros, FP16 rows) summed over rows, for --kv-stats
     */
    public record ModeResult(String name, String settings, int correct, int answered, int total, int answerCorrect, int answerRows,
                             int agreeFp32, int rows,
                             long kvBytes, long kvValues, double klVsFp32, double tokensPerS, double prefillTokensPerS,
                             double meanAnswerMargin, int marginRows, List<KvFootprint> layerFootprints) {
        /** Exact matches over the rows with an expected answer (NaN without any). */
        public double accuracy() {
            return answered == 0 ? Double.NaN : (double) correct / answered;
        }

        public double answerAccuracy() {
            return answerRows == 0 ? Double.NaN : (double) answerCorrect / answerRows;
        }

        public double agreement() {
            return (double) agreeFp32 / total;
        }

        public double bitsPerValue() {
            return kvValues == 0 ? Double.NaN : 8.0 * kvBytes / kvValues;
        }

        /** Mean bytes of one row's cache. */
        public long kvBytesPerPrompt() {
            return rows == 0 ? 0 : Math.round((double) kvBytes / rows);
        }

        String jsonFields() {
            return String.format(Locale.ROOT, "\"mode\": %s, \"settings\": %s, \"correct\": %d, \"answered\": %d, \"total\": %d, \"accuracy\": %s, "
                            + "\"answer_accuracy\": %s, \"agreement_fp32\": %s, \"kv_bytes\": %d, \"kv_bytes_total\": %d, "
                            + "\"kv_values\": %d, \"bits_per_value\": %s, \"kl_vs_fp32\": %s, \"mean_answer_margin\": %s, "
                            + "\"tokens_per_s\": %s, \"prefill_tokens_per_s\": %s",
                    quote(name), quote(settings), correct, answered, total, number(accuracy()), number(answerAccuracy()), number(agreement()),
                    kvBytesPerPrompt(), kvBytes, kvValues, number(bitsPerValue()), number(klVsFp32), number(meanAnswerMargin),
                    number(tokensPerS), number(prefillTokensPerS));
        }
    }

    static EvalReport of(List<Mode> modes, List<RowResult> rows, double seconds) {
        List<Problem> mismatches = new ArrayList<>(), disagreements = new ArrayList<>();
        List<RowAnswers> answers = new ArrayList<>();
        for (RowResult r : rows) {
            boolean[] exact = null;
            if (r.perMode() != null) {
                exact = new boolean[r.perMode().length];
                for (int m = 0; m < exact.length; m++) exact[m] = r.perMode()[m].exact();
            }
            answers.add(new RowAnswers(r.row(), r.perMode() == null ? null
                    : Arrays.stream(r.perMode()).map(ModeOutcome::generated).toArray(int[][]::new), exact));
            if (r.mismatch() != null) mismatches.add(new Problem(r.row().id(), r.mismatch()));
            if (r.fp32Disagreement() != null) disagreements.add(new Problem(r.row().id(), r.fp32Disagreement()));
        }
        List<ModeResult> results = new ArrayList<>();
        int answered = (int) rows.stream().filter(r -> r.row().hasExpectedAnswer()).count();
        int answerRows = (int) rows.stream().filter(r -> r.row().answerTokenIndex().isPresent()).count();
        for (int m = 0; m < modes.size(); m++) {
            int correct = 0, answer = 0, agree = 0, run = 0, klSteps = 0, decodeSteps = 0, promptTokens = 0, marginRows = 0;
            long bytes = 0, values = 0, decodeNanos = 0, prefillNanos = 0;
            double kl = 0, margin = 0;
            List<List<KvFootprint>> perLayer = new ArrayList<>();   // [layer] -> that layer's footprint in each row
            for (RowResult r : rows) {
                if (r.perMode() == null) continue;
                ModeOutcome o = r.perMode()[m];
                run++;
                if (o.exact()) correct++;
                if (o.answerWord()) answer++;
                if (Arrays.equals(o.generated(), r.reference())) agree++;
                bytes += o.footprint().bytes();
                values += o.footprint().values();
                for (int l = 0; l < o.layerFootprints().size(); l++) {
                    if (perLayer.size() == l) perLayer.add(new ArrayList<>());
                    perLayer.get(l).add(o.layerFootprints().get(l));
                }
                kl += o.klSum();
                klSteps += o.klSteps();
                decodeSteps += o.decodeSteps();
                decodeNanos += o.decodeNanos();
                promptTokens += o.promptTokens();
                prefillNanos += o.prefillNanos();
                if (!Double.isNaN(o.answerMargin())) {
                    margin += o.answerMargin();
                    marginRows++;
                }
            }
            results.add(new ModeResult(modes.get(m).name(), modes.get(m).settings().describe(), correct, answered, rows.size(), answer,
                    answerRows, agree,
                    run, bytes, values, klSteps == 0 ? Double.NaN : kl / klSteps,
                    decodeNanos == 0 ? Double.NaN : decodeSteps / (decodeNanos / 1e9),
                    prefillNanos == 0 ? Double.NaN : promptTokens / (prefillNanos / 1e9),
                    marginRows == 0 ? Double.NaN : margin / marginRows, marginRows,
                    perLayer.stream().map(KvFootprint::sum).toList()));
        }
        return new EvalReport(results, mismatches, disagreements, rows.size(), seconds, List.copyOf(answers));
    }

    /** The human-readable table, one line per mode, then the failed checks. */
    public String table() {
        StringBuilder b = new StringBuilder();
        int width = Math.max(4, modes.stream().mapToInt(r -> r.name().length()).max().orElse(4));
        b.append(String.format(Locale.ROOT, "%-" + width + "s  %9s  %9s  %9s  %8s  %11s  %10s  %7s  %8s%n", "mode", "exact", "answer",
                "=fp32", "bits/val", "KV B/prompt", "KL vs fp32", "margin", "tok/s"));
        for (ModeResult r : modes) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %9s  %9s  %9s  %8.4f  %11d  %10.3e  %7.3f  %8.1f%n", r.name(),
                    r.answered() == 0 ? "-" : r.correct() + "/" + r.answered(), r.answerRows() == 0 ? "-" : r.answerCorrect() + "/" + r.answerRows(),
                    r.agreeFp32() + "/" + r.total(),
                    r.bitsPerValue(), r.kvBytesPerPrompt(), r.klVsFp32(), r.meanAnswerMargin(), r.tokensPerS()));
        }
        b.append(String.format(Locale.ROOT, "prompt mismatches: %d; fp32 differs from fp32.generated_ids on %d of %d prompts (%.1f s)%n",
                promptMismatches.size(), fp32Disagreements.size(),
                answers.stream().filter(a -> a.perMode() != null && a.row().fp32Generated().isPresent()).count(), seconds));
        for (int m = 0; m < modes.size(); m++) {
            List<String> wrong = new ArrayList<>();
            for (RowAnswers a : answers) {
                if (a.perMode() != null && a.row().hasExpectedAnswer() && !a.exact()[m]) wrong.add(a.row().id());
            }
            if (!wrong.isEmpty()) {
                b.append("  ").append(modes.get(m).name()).append(" misses ").append(wrong.size()).append(": ")
                        .append(String.join(" ", wrong.subList(0, Math.min(12, wrong.size()))))
                        .append(wrong.size() > 12 ? " ..." : "").append('\n');
            }
        }
        for (Problem p : promptMismatches) b.append("  prompt mismatch ").append(p.id()).append(": ").append(p.problem()).append('\n');
        for (Problem p : fp32Disagreements) b.append("  fp32 disagrees ").append(p.id()).append(": ").append(p.problem()).append('\n');
        return b.toString();
    }

    /**
     * One line of JSON: the first mode's fields at the top level, every mode under {@code "modes"},
     * and the checks ({@code prompt_mismatches}, {@code fp32_disagreements}, with the ids under
     * {@code mismatched_ids} and {@code fp32_disagreeing_ids}).
     */
    public String json() {
        StringBuilder b = new StringBuilder("{").append(modes.getFirst().jsonFields());
        b.append(", \"prompt_mismatches\": ").append(promptMismatches.size());
        b.append(", \"fp32_disagreements\": ").append(fp32Disagreements.size());
        b.append(", \"mismatched_ids\": ").append(ids(promptMismatches));
        b.append(", \"fp32_disagreeing_ids\": ").append(ids(fp32Disagreements));
        b.append(String.format(Locale.ROOT, ", \"seconds\": %s", number(seconds)));
        b.append(", \"modes\": [");
        for (int i = 0; i < modes.size(); i++) b.append(i == 0 ? "{" : ", {").append(modes.get(i).jsonFields()).append('}');
        return b.append("]}").toString();
    }

    private static String ids(List<Problem> problems) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < problems.size(); i++) b.append(i == 0 ? "" : ", ").append(quote(problems.get(i).id()));
        return b.append(']').toString();
    }

    static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
