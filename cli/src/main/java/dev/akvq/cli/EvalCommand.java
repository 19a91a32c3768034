package dev.akvq.cli;

import dev.akvq.model.eval.EvalReport;
import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.eval.LlavaEval;
import dev.akvq.model.layout.CheckpointLayout;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ModelConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code akvq eval}: accuracy of KV-cache modes on an evaluation set (the work is
 * {@link LlavaEval}; this class parses flags and prints).
 */
final class EvalCommand implements Command {
    /** Named mode lists for {@code --kv}: the AKVQ-VL paper's ablation ladder, and everything. */
    static final Map<String, List<String>> PRESETS = Map.of(
            "ladder", List.of("rtn2", "rtn2+wht=rtn2 --kv-rotation on", "rtn2+wht+tsa=akvq --kv-window 0 --kv-pivots 0", "akvq"),
            "all", List.of("fp32", "fp16", "rtn2", "kivi2", "akvq", "rtn2+wht=rtn2 --kv-rotation on",
                    "rtn2+wht+tsa=akvq --kv-window 0 --kv-pivots 0"));

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "accuracy of KV-cache modes on a prompt set";
    }

    @Override
    public String help() {
        return """
                akvq eval: accuracy of KV-cache modes on an evaluation set

                Usage: akvq eval --model DIR --set FILE.jsonl [--kv MODE]... [--kv-... settings] [--kv-stats] [--json]
                                 [--limit N] [--threads N]

                The set is JSON lines in the llava-shapes format (id, images relative to the set file,
                prompt, input_ids, answer_ids, answer_token_index, fp32.generated_ids); the model is a
                LLaVA checkpoint. For each prompt it builds the ids itself (tokenizer.json, <image>
                expansion) and checks them against input_ids: a row that differs is reported and
                counted as failed. FP32 always runs and must reproduce fp32.generated_ids. Each mode
                decodes greedily (at most 12 new tokens, stop at EOS of generation_config.json).

                Metrics per mode: exact match of the generated ids with answer_ids, answer-word
                accuracy, agreement with fp32.generated_ids, the cache's bytes per prompt and bits per
                cached value (the stores' exact accounting, at the end of decoding), mean
                KL(p_fp32 || p_mode) of every step's next-token distribution with the mode's cache fed
                FP32's tokens (nats), mean top-1 minus top-2 logit at the answer word's step, and
                decode tokens/s of one sequence. Progress goes to stderr, the table to stdout; with
                --json the last stdout line is one JSON object: the first mode's fields (correct,
                total, accuracy, answer_accuracy, agreement_fp32, kv_bytes [per prompt], bits_per_value,
                kl_vs_fp32, mean_answer_margin, tokens_per_s), prompt_mismatches, fp32_disagreements
                and every mode under "modes". Exit status 1 when a prompt mismatched or FP32 disagreed.

                Options:
                  --model DIR      a LLaVA model directory
                  --set FILE       the evaluation set (JSON lines)
                  --kv ENTRY       a mode to score, repeatable, or a comma-separated list. An entry is a
                                   mode with its own settings ("akvq --kv-window 32"), optionally named
                                   ("w32=akvq --kv-window 32"), or a preset: ladder (rtn2; + Hadamard
                                   rotation; + TSA text INT4; akvq with pivots and window) or all (fp32,
                                   fp16, rtn2, kivi2, akvq and the ladder). Default fp32.
                                   The --kv-... flags below apply to every entry that does not set them.
                  --json           end with one JSON line
                  --limit N        the first N prompts only
                  --threads N      prompts decoded at a time (default: all cores)
                  --allow-unused-weights  run although the checkpoint holds tensors the architecture does not read
                """ + KvFlags.HELP.replace("  --kv MODE            fp32 (default), fp16, rtn2, kivi2, akvq\n", "")
                .replace("print the cache's exact bytes per layer and segment", "per mode, summed over the prompts: exact bytes per layer and segment")
                + """

                Examples:
                  akvq eval --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --set tests/src/test/resources/fixtures/models/llava-shapes/eval/prompts.jsonl --kv akvq
                  akvq eval --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --set tests/src/test/resources/fixtures/models/llava-shapes/eval_single/prompts.jsonl \\
                      --kv all --kv-layers /tmp/llava-shapes-layers.json --json
                  akvq eval --model DIR --set FILE --kv "akvq --kv-window 32" --kv "akvq --kv-window 128" --limit 20
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Set<String> switches = Set.of("json", "kv-prefill-quantized", "kv-stats", "allow-unused-weights");
        Flags flags = Flags.parse(name(), args, KvFlags.withValue(Set.of("model", "set", "limit", "threads")), switches);
        Path dir = flags.existingDirectory("model");
        Path set = flags.existingFile("set");
        int limit = flags.optional("limit").isPresent() ? flags.positiveInt("limit", 0) : 0;
        List<LlavaEval.Mode> modes = modes(flags, dir);
        KvFlags.notePickedUpTable(flags, modes.stream().map(m -> m.settings().mode()).toList(), dir, name(), err);
        List<EvalRow> rows = EvalRow.read(set, limit);
        int threads = Math.min(flags.threads(err), rows.size());

        long start = System.nanoTime();
        EvalReport report;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {   // the loader's check, as run and trace make it
            CheckpointLayout.check(ModelConfig.load(dir), checkpoint).requireAllRead(dir, flags.has("allow-unused-weights"));
        }
        try (LlavaEval eval = new LlavaEval(dir, threads)) {
            err.printf("akvq eval: %s loaded in %.2f s; %d prompts of %s, %d threads%n", dir, (System.nanoTime() - start) / 1e9,
                    rows.size(), set, threads);
            for (LlavaEval.Mode m : modes) err.printf("akvq eval: %-14s %s%n", m.name(), m.settings().describe());
            report = eval.evaluate(rows, modes, err::println);
        }
        out.print(report.table());
        if (flags.has("kv-stats")) {
            for (EvalReport.ModeResult m : report.modes()) {
                KvFlags.printStats(m.layerFootprints(), m.name() + ", summed over " + m.rows() + " prompts (" + m.settings() + ")", err);
            }
        }
        if (flags.has("json")) out.println(report.json());
        return report.promptMismatches().isEmpty() && report.fp32Disagreements().isEmpty() ? 0 : 1;
    }

    /** The --kv entries, presets expanded, each with its settings (entry flags over the command's --kv-... flags). */
    static List<LlavaEval.Mode> modes(Flags flags, Path dir) {
        List<String> entries = new ArrayList<>();
        for (String value : flags.all("kv").isEmpty() ? List.of("fp32") : flags.all("kv")) {
            for (String entry : value.split(",")) {
                String e = entry.strip();
                if (e.isEmpty()) throw new UsageException("--kv: empty entry in '" + value + "'");
                entries.addAll(PRESETS.getOrDefault(e, List.of(e)));
            }
        }
        List<LlavaEval.Mode> modes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            boolean named = eq > 0 && !entry.substring(0, eq).contains(" ");
            String spec = named ? entry.substring(eq + 1).strip() : entry;
            String[] words = spec.split("\\s+");
            List<String> argv = new ArrayList<>(List.of("--kv", words[0]));
            argv.addAll(Arrays.asList(words).subList(1, words.length));
            Flags own = Flags.parse("eval --kv '" + spec + "'", argv.toArray(String[]::new),
                    KvFlags.withValue(Set.of()), Set.of("kv-prefill-quantized"));
            try {
                KvFlags.requireApplicable(own, dev.akvq.quant.kv.KvMode.parse(words[0]));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--kv '" + spec + "': " + e.getMessage());
            }
            for (String flag : KvFlags.WITH_VALUE) {
                if (!flag.equals("kv") && flags.has(flag) && !own.has(flag)) {
                    argv.add("--" + flag);
                    argv.add(flags.require(flag));
                }
            }
            if (flags.has("kv-prefill-quantized") && !own.has("kv-prefill-quantized")) argv.add("--kv-prefill-quantized");
            KvCacheSettings settings = KvFlags.parse(Flags.parse("eval", argv.toArray(String[]::new), KvFlags.withValue(Set.of()),
                    Set.of("kv-prefill-quantized")), dir);
            String name = named ? entry.substring(0, eq) : spec;
            if (!names.add(name)) throw new UsageException("--kv: '" + name + "' given twice");
            modes.add(new LlavaEval.Mode(name, settings));
        }
        // a command-wide --kv-... flag must reach at least one mode
        for (String flag : flags.names()) {
            if (flag.startsWith("kv-") && modes.stream().noneMatch(m -> KvFlags.applying(m.settings().mode()).contains(flag))) {
                throw new UsageException("--" + flag + " does not apply to any of the --kv modes given ("
                        + String.join(", ", modes.stream().map(LlavaEval.Mode::name).toList()) + ")");
            }
        }
        return modes;
    }
}
