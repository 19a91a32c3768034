package dev.akvq.cli;

import dev.akvq.model.eval.EvalReport;
import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.eval.LayerCalibration;
import dev.akvq.model.eval.PromptSetEval;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The llava-shapes part of {@code akvq demo}: six evaluation prompts, four KV caches, side by side. */
final class LlavaDemo {
    private LlavaDemo() {}

    /** Rows shown: three multi-image prompts of eval/ and three of eval_single/ (single-041: FP32 itself is wrong). */
    static final int[] EVAL_ROWS = {0, 1, 2}, SINGLE_ROWS = {0, 1, 41};

    /** @return 1 when a check failed (prompt ids or FP32 against the reference), else 0 */
    static int run(Path dir, int threads, PrintStream out, PrintStream err) {
        List<EvalRow> rows = new ArrayList<>();
        List<EvalRow> eval = EvalRow.read(dir.resolve("eval").resolve("prompts.jsonl"), 0);
        List<EvalRow> single = EvalRow.read(dir.resolve("eval_single").resolve("prompts.jsonl"), 0);
        for (int i : EVAL_ROWS) rows.add(eval.get(i));
        for (int i : SINGLE_ROWS) rows.add(single.get(i));
        LlavaConfig config = (LlavaConfig) ModelConfig.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir);

        out.println("== llava-shapes (LLaVA-1.5 layout, 8.2 M parameters, trained on rendered shapes): six evaluation prompts");
        long start = System.nanoTime();
        KvLayerTable layers = calibrate(dir, config, tokenizer, rows.subList(0, EVAL_ROWS.length), threads);
        out.printf(Locale.ROOT, "  AKVQ-VL layer table from FP32 attention on the three eval/ prompts: %s (%.1f s)%n",
                describe(layers, config.textConfig().numHiddenLayers()), (System.nanoTime() - start) / 1e9);
        List<PromptSetEval.Mode> modes = List.of(
                new PromptSetEval.Mode("fp16", KvCacheSettings.defaults(KvMode.FP16)),
                new PromptSetEval.Mode("rtn2", KvCacheSettings.defaults(KvMode.RTN2)),
                new PromptSetEval.Mode("kivi2", KvCacheSettings.defaults(KvMode.KIVI2)),
                new PromptSetEval.Mode("akvq", KvCacheSettings.defaults(KvMode.AKVQ).withLayers(layers)));
        EvalReport report;
        try (PromptSetEval evaluation = new PromptSetEval(dir, Math.min(threads, rows.size()))) {
            report = evaluation.evaluate(rows, modes, line -> {});
        }

        // One row per prompt: the expected reply, then each mode's reply ("ok" when it is exactly the expected one).
        List<String[]> cells = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("prompt", "images", "question", "expected"));
        modes.forEach(m -> head.add(m.name()));
        cells.add(head.toArray(String[]::new));
        for (EvalReport.RowAnswers a : report.answers()) {
            EvalRow row = a.row();
            List<String> line = new ArrayList<>(List.of(row.id(), String.valueOf(row.images().size()), question(row),
                    tokenizer.decode(row.answerIds().orElseThrow(), true).strip()));
            for (int m = 0; m < modes.size(); m++) {
                if (a.perMode() == null) line.add("(prompt mismatch)");
                else if (a.exact()[m]) line.add("ok");
                else line.add("\"" + tokenizer.decode(a.perMode()[m], true).strip() + "\"");
            }
            cells.add(line.toArray(String[]::new));
        }
        int[] widths = new int[head.size()];
        for (String[] c : cells) for (int i = 0; i < c.length; i++) widths[i] = Math.max(widths[i], c[i].length());
        for (String[] c : cells) {
            StringBuilder line = new StringBuilder(" ");
            for (int i = 0; i < c.length; i++) line.append(' ').append(String.format("%-" + widths[i] + "s", c[i]));
            out.println(line.toString().stripTrailing());
        }
        out.println();
        for (String l : report.table().split("\n")) if (!l.contains(" misses ")) out.println("  " + l);   // the table above shows them
        out.println("  exact: generated ids equal answer_ids (single-041: FP32 and transformers get it wrong too); =fp32: equal to");
        out.println("  FP32's ids; bits/val, KV B/prompt: the caches' exact bytes after each answer (akvq keeps the 128 most recent");
        out.println("  tokens FP16, so a one-image prompt stays FP16); KL: vs FP32 along FP32's tokens; margin: top-1 minus top-2");
        out.println("  logit at the answer word; tok/s: decode of one sequence, JIT warm-up included over so few steps.");
        out.println("  Whole sets: akvq eval --model DIR --set DIR/eval/prompts.jsonl --kv all (README.md has the table).");
        out.println();
        err.printf(Locale.ROOT, "akvq demo: llava-shapes part in %.1f s%n", (System.nanoTime() - start) / 1e9);
        return report.promptMismatches().isEmpty() && report.fp32Disagreements().isEmpty() ? 0 : 1;
    }

    private static String question(EvalRow row) {
        String p = row.prompt().orElse("");
        int from = p.lastIndexOf('\n') + 1, to = p.lastIndexOf(" ASSISTANT:");
        return to > from ? p.substring(from, to) : p;
    }

    private static KvLayerTable calibrate(Path dir, LlavaConfig config, Tokenizer tokenizer, List<EvalRow> rows, int threads) {
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads)) {
            LayerCalibration calibration = new LayerCalibration(model);
            for (EvalRow row : rows) calibration.add(row.promptInput());
            return calibration.statistic().table("calibrated on the demo's eval/ prompts");
        }
    }

    private static String describe(KvLayerTable table, int layers) {
        StringBuilder b = new StringBuilder();
        for (int l = 0; l < layers; l++) b.append(l == 0 ? "" : " ").append(table.pattern(l));
        return b.toString();
    }
}
