package dev.akvq.cli;

import dev.akvq.model.eval.EvalReport;
import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.eval.PromptSetEval;
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
import java.util.Optional;
import dev.akvq.quant.kv.MatchedBits;
import java.util.Set;

/**
 * {@code akvq eval}: accuracy of KV-cache modes on an evaluation set (the work is
 * {@link PromptSetEval}; this class parses flags and prints), or with {@code --text} perplexity
 * over a text ({@link EvalText}).
 */
final class EvalCommand implements Command {
    /** The ablation ladder: rtn2, then one change per rung up to AKVQ-VL at its defaults. */
    static final List<String> LADDER = List.of(
            "rtn2=rtn2 --kv-window 0 --kv-clip2 1.0",
            "+rotation=rtn2 --kv-window 0 --kv-rotation on --kv-clip2 1.0",
            "+tsa=akvq --kv-window 0 --kv-pivots 0 --kv-clip2 1.0",
            "+clip0.8=akvq --kv-window 0 --kv-pivots 0 --kv-clip2 0.8",
            "+pivots=akvq --kv-window 0 --kv-pivots 15 --kv-clip2 0.8",
            "+window=akvq --kv-window 128 --kv-pivots 15 --kv-clip2 0.8");
    /** The baselines beside AKVQ-VL (smoothquant and skvq need the model's KV channel calibration). */
    static final List<String> BASELINES = List.of("fp16", "rtn2", "rtn4", "kivi2", "kivi4", "sink", "smoothquant", "skvq", "akvq");

    /** Modes beyond the paper: akvq-kc, AKVQ-VL's forms with keys per channel (not a baseline: in {@code all} only). */
    static final List<String> BEYOND = List.of("akvq-kc");

    /**
     * Named mode lists for {@code --kv}: the ablation ladder (one change per rung, each rung's
     * clip written out so a command-level --kv-clip2 cannot change it), the baselines, and all.
     */
    static final Map<String, List<String>> PRESETS = Map.of(
            "ladder", LADDER,
            "baselines", BASELINES,
            "all", java.util.stream.Stream.concat(java.util.stream.Stream.of("fp32"),
                    java.util.stream.Stream.concat(BASELINES.stream().filter(m -> !m.equals("rtn2") && !m.equals("akvq")),
                            java.util.stream.Stream.concat(LADDER.stream(), BEYOND.stream())))
                    .toList());

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "accuracy of KV-cache modes on a prompt set, or perplexity over a text";
    }

    @Override
    public String help() {
        return """
                akvq eval: accuracy of KV-cache modes on an evaluation set, or perplexity over a text

                Usage: akvq eval --model DIR --set FILE.jsonl [--kv MODE]... [--kv-... settings] [--kv-stats] [--json]
                                 [--limit N] [--threads N] [--kv-bits B[,B...]] [--plot FILE.svg]
                       akvq eval --model DIR (--text FILE | --text-ids FILE) [--window N] [--stride N] [--max-tokens N]
                                 [--kv MODE]... [--kv-... settings] [--json] [--threads N]
                       akvq eval --plot FILE.svg --from EARLIER.json [--title TEXT]

                --set: JSON lines, one prompt per line, the same for every family (LLaVA, Idefics3,
                Qwen2-VL, text models; the llava-shapes sets are in this format). Fields:
                  images               image files relative to the set file, in prompt order (optional)
                  prompt               the prompt text. With the family's image marker (<image> for LLaVA and
                                       Idefics3, <|image_pad|> for Qwen2-VL), one per image, it is taken as
                                       written and each marker expanded as the family's processor does;
                                       without one, the family lays it out as run --no-template --prompt does
                                       (LLaVA's "USER: Image 1: <image>\\n... ASSISTANT:", Idefics3's images
                                       first, Qwen2-VL's chat layout). No BOS: the tokenizer adds its own.
                  input_ids            with prompt: the ids the prompt must build (a row that differs is
                                       reported and counted as failed); without prompt: the prompt itself, image
                                       placeholders expanded (for checkpoints without tokenizer.json)
                  answer_ids           the expected reply's ids, EOS included; else answer_text: the expected
                                       reply's text (compared with the generated text, special tokens skipped,
                                       white space trimmed). Both optional.
                  answer_token_index   index in answer_ids of the answer word (optional)
                  fp32.generated_ids   the reference's FP32 greedy ids, which FP32 must reproduce (optional)
                  id                   a name for the row (default "line N"); answer, question, qtype,
                                       target_image, n_images (checked against images) and fp32's other
                                       fields are read as notes. Any other field is an error.
                FP32 always runs. Each mode decodes greedily (at most 12 new tokens, stop at EOS of
                generation_config.json).

                Metrics per mode: exact match with the expected answer (over the rows that have one; "-"
                when none has), answer-word accuracy (rows with answer_token_index), agreement with
                fp32.generated_ids (else FP32's own ids), the cache's bytes per prompt and bits per
                cached value (the stores' exact accounting, at the end of decoding), mean
                KL(p_fp32 || p_mode) of every step's next-token distribution with the mode's cache fed
                FP32's tokens (nats), mean top-1 minus top-2 logit at the answer word's step (the first
                step without answer_token_index), and decode tokens/s of one sequence. Progress goes
                to stderr, the table to stdout; with --json the last stdout line is one JSON object:
                the first mode's fields (correct, answered, total, accuracy, answer_accuracy,
                agreement_fp32, kv_bytes [per prompt], bits_per_value, kl_vs_fp32, mean_answer_margin,
                tokens_per_s), prompt_mismatches, fp32_disagreements and every mode under "modes".
                Exit status 1 when a prompt mismatched or FP32 disagreed.

                --text FILE: teacher-forced perplexity and KL from FP32 of every mode over a UTF-8 text,
                encoded once with the model's tokenizer.json (its post-processor adds BOS where the
                tokenizer says so, so only the first window starts with it); --text-ids FILE reads token
                ids (spaces, commas or lines) instead. A VLM scores its language model on the text alone.
                Windows of --window tokens start every --stride tokens, as Hugging Face's perplexity
                guide does: each window scores only the tokens the previous one did not (its last
                end - previous end), each from every earlier token of the window; a window's first token
                is never scored, so with stride = window (the default) the first token of every window
                goes unscored and with stride < window every token but the text's first is scored once.
                In a window, the tokens before the first scored one are the prompt, prefilled as --set
                prefills one (over unquantized K/V, over the quantized cache with --kv-prefill-quantized);
                every scored token is then fed as one decode step, attending over the mode's store as
                decode reads it. All modes run in lockstep, each in its own cache, beside an FP32
                reference (an fp32 entry runs its own cache: its KL is exactly 0). Per mode: tokens
                scored, mean NLL (nats), perplexity = exp(mean NLL), mean KL(p_fp32 || p_mode) per
                scored token, bits per value (the stores' accounting at the end of each window) and KV
                bytes of the longest window's cache. A window longer than the model's
                max_position_embeddings is refused. --json ends with one JSON line (tokens_scored,
                mean_nll, perplexity, kl_vs_fp32, bits_per_value, kv_bytes; tokens, window, stride,
                windows, fp32_perplexity; every mode under "modes").

                Options:
                  --model DIR      a model directory (any family run takes)
                  --set FILE       the evaluation set (JSON lines)
                  --text FILE      score a text (perplexity, KL) instead of a set
                  --text-ids FILE  as --text, the text given as token ids
                  --window N       with --text: tokens per window (default 2048)
                  --stride N       with --text: tokens between window starts, 1 to --window (default --window)
                  --max-tokens N   with --text: the first N tokens of the text only
                  --kv ENTRY       a mode to score, repeatable, or a comma-separated list. An entry is a
                                   mode with its own settings ("akvq --kv-window 32"), optionally named
                                   ("w32=akvq --kv-window 32"), or a preset: ladder (rtn2; + rotation;
                                   + TSA text INT4; + INT2 clip 0.8; + pivots; + FP16 window = akvq, the
                                   clip pinned on every rung), baselines (fp16, rtn2, rtn4, kivi2, kivi4,
                                   sink, smoothquant, skvq, akvq) or all (fp32, the baselines, the ladder,
                                   akvq-kc).
                                   Default fp32.
                                   The --kv-... flags below apply to every entry that does not set them.
                  --json           end with one JSON line
                  --kv-bits B,...  the matched-bits view: every --kv entry is configured to land within
                                   0.15 bits per value of each budget B on this set's prompt lengths
                                   (the mode's group first, then smaller groups; the FP16 window, for
                                   kivi the FP16 residual, by bisection) and named entry@B; entries
                                   that cannot reach B (fp32, fp16, rtn4 below 4.2, ...) are reported
                                   and left out. Bits are the stores' own accounting of a cache laid
                                   out as the set's sequences.
                  --plot FILE.svg  write bits per value against KL from fp32 (log) and accuracy
                  --from FILE      with --plot: re-plot the JSON line of an earlier --json run
                  --limit N        the first N prompts only
                  --threads N      prompts decoded at a time (default: all cores); with --text, the model's threads
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
                  akvq eval --model DIR --set FILE --kv baselines --kv-bits 3.0,4.5 --plot matched.svg --limit 20
                  akvq eval --model tests/src/test/resources/fixtures/models/llava-shapes --text notes.txt --window 256 \\
                      --stride 128 --kv fp32,rtn2,kivi2,akvq
                  akvq eval --model tests/src/test/resources/fixtures/models/llama --text-ids ids.txt --window 64 --kv ladder --json
                  akvq eval --model ~/models/SmolVLM-Instruct --set my-set.jsonl --kv fp32,akvq
                     (my-set.jsonl: {"images": ["cat.jpg"], "prompt": "What animal is this?", "answer_text": "A cat."})
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Set<String> switches = Set.of("json", "kv-prefill-quantized", "kv-stats", "allow-unused-weights");
        Flags flags = Flags.parse(name(), args, KvFlags.withValue(Set.of("model", "set", "limit", "threads", "kv-bits", "plot", "from",
                "title", "text", "text-ids", "window", "stride", "max-tokens")), switches);
        if (flags.has("text") || flags.has("text-ids")) return EvalText.run(flags, out, err);
        for (String textOnly : List.of("window", "stride", "max-tokens")) {
            if (flags.has(textOnly)) throw new UsageException("--" + textOnly + " belongs to eval --text");
        }
        if (flags.has("from")) {
            // Re-plot an earlier --json run without running anything.
            Path plotFile = Path.of(flags.require("plot"));
            checkPlotFile(plotFile);
            Path from = Path.of(flags.require("from"));
            EvalPlot.write(plotFile, EvalPlot.readJson(from), flags.optional("title").orElse(from.getFileName().toString()));
            err.println("akvq eval: wrote " + plotFile);
            return 0;
        }
        Path dir = flags.existingDirectory("model");
        Path set = flags.existingFile("set");
        int limit = flags.optional("limit").isPresent() ? flags.positiveInt("limit", 0) : 0;
        Set<String> notes = new java.util.LinkedHashSet<>();
        List<PromptSetEval.Mode> modes = modes(flags, dir, notes);
        notes.forEach(err::println);
        List<EvalRow> rows = EvalRow.read(set, limit);
        int threads = Math.min(flags.threads(err), rows.size());

        long start = System.nanoTime();
        EvalReport report;
        List<Double> targets = bitTargets(flags);
        Optional<Path> plot = flags.optional("plot").map(Path::of);
        if (plot.isPresent()) checkPlotFile(plot.get());
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {   // the loader's check, as run and trace make it
            CheckpointLayout.check(ModelConfig.load(dir), checkpoint).requireAllRead(dir, flags.has("allow-unused-weights"));
        }
        try (PromptSetEval eval = new PromptSetEval(dir, threads)) {
            err.printf("akvq eval: %s loaded in %.2f s; %d prompts of %s, %d threads%n", dir, (System.nanoTime() - start) / 1e9,
                    rows.size(), set, threads);
            if (!targets.isEmpty()) modes = matchBits(modes, targets, eval, rows, err);
            for (PromptSetEval.Mode m : modes) err.printf("akvq eval: %-14s %s%n", m.name(), m.settings().describe());
            List<PromptSetEval.Mode> scored = modes;
            report = untilCtrlC(stop -> eval.evaluate(rows, scored, err::println, stop), r -> {
                out.print(r.table());
                if (flags.has("kv-stats")) {
                    for (EvalReport.ModeResult m : r.modes()) {
                        KvFlags.printStats(m.layerFootprints(), m.name() + ", summed over " + m.rows() + " prompts (" + m.settings() + ")", err);
                    }
                }
                if (plot.isPresent()) {
                    EvalPlot.write(plot.get(), r.modes().stream().map(EvalPlot.Point::of).toList(),
                            dir.getFileName() + ", " + r.total() + " prompts of " + set.getFileName());
                    err.println("akvq eval: wrote " + plot.get());
                }
                if (flags.has("json")) out.println(r.json());
                out.flush();
            });
        }
        return report.promptMismatches().isEmpty() && report.fp32Disagreements().isEmpty() ? 0 : 1;
    }

    /**
     * Runs {@code work} with a stop flag that Ctrl-C sets: no new prompt or window starts, the
     * work in flight finishes, and {@code print} shows what finished before the JVM exits.
     */
    static <R> R untilCtrlC(java.util.function.Function<java.util.concurrent.atomic.AtomicBoolean, R> work,
                            java.util.function.Consumer<R> print) {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch printed = new java.util.concurrent.CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            stop.set(true);
            try {
                printed.await(120, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            R result = work.apply(stop);
            print.accept(result);
            return result;
        } finally {
            printed.countDown();
            if (!stop.get()) Runtime.getRuntime().removeShutdownHook(onCtrlC);
        }
    }

    /** {@code --kv-bits 3.0,4.5}: the budgets of the matched-bits view, each in (0, 32]. */
    static List<Double> bitTargets(Flags flags) {
        List<Double> targets = new ArrayList<>();
        for (String value : flags.all("kv-bits")) {
            for (String part : value.split(",")) {
                try {
                    double t = Double.parseDouble(part.strip());
                    if (t > 0 && t <= 32) {
                        targets.add(t);
                        continue;
                    }
                } catch (NumberFormatException ignored) {
                    // reported below with the flag's name
                }
                throw new UsageException("--kv-bits expects bits per value in (0, 32], e.g. 3.0 or 3.0,4.5; got '" + part + "'");
            }
        }
        return targets;
    }

    /**
     * The matched-bits view: each mode configured (group, window or KIVI residual) to land within
     * {@value MatchedBits#TOLERANCE} bits per value of each target on this set's sequences, named
     * {@code mode@target}; a mode that cannot is reported on stderr and left out.
     */
    static List<PromptSetEval.Mode> matchBits(List<PromptSetEval.Mode> modes, List<Double> targets, PromptSetEval eval, List<EvalRow> rows,
                                          PrintStream err) {
        List<EvalRow> sample = new ArrayList<>();
        int every = Math.max(1, rows.size() / 12);
        for (int i = 0; i < rows.size(); i += every) sample.add(rows.get(i));
        List<MatchedBits.Layout> layouts = eval.layouts(sample);
        List<PromptSetEval.Mode> matched = new ArrayList<>();
        for (double target : targets) {
            for (PromptSetEval.Mode m : modes) {
                MatchedBits.Match match = MatchedBits.configure(m.settings(), target, eval.cacheShape(), layouts);
                String name = String.format(java.util.Locale.ROOT, "%s@%.1f", m.name(), target);
                err.printf("akvq eval: %-14s %s%n", name, match.note());
                match.settings().ifPresent(s -> matched.add(new PromptSetEval.Mode(name, s)));
            }
        }
        if (matched.isEmpty()) throw new UsageException("--kv-bits: no mode can be configured within " + MatchedBits.TOLERANCE
                + " bits of " + targets);
        return matched;
    }

    private static void checkPlotFile(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new UsageException("--plot " + file + ": folder " + parent + " does not exist");
        if (!file.getFileName().toString().endsWith(".svg")) throw new UsageException("--plot " + file + ": expected a FILE.svg");
    }

    /** The --kv entries, presets expanded, each with its settings (entry flags over the command's --kv-... flags). */
    static List<PromptSetEval.Mode> modes(Flags flags, Path dir) {
        return modes(flags, dir, new java.util.LinkedHashSet<>());
    }

    /** As {@link #modes(Flags, Path)}, adding each entry's {@link KvFlags#calibrationNote} to {@code notes}. */
    static List<PromptSetEval.Mode> modes(Flags flags, Path dir, Set<String> notes) {
        List<String> entries = new ArrayList<>();
        for (String value : flags.all("kv").isEmpty() ? List.of("fp32") : flags.all("kv")) {
            for (String entry : value.split(",")) {
                String e = entry.strip();
                if (e.isEmpty()) throw new UsageException("--kv: empty entry in '" + value + "'");
                entries.addAll(PRESETS.getOrDefault(e, List.of(e)));
            }
        }
        List<PromptSetEval.Mode> modes = new ArrayList<>();
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
            Flags entryFlags = Flags.parse("eval", argv.toArray(String[]::new), KvFlags.withValue(Set.of()),
                    Set.of("kv-prefill-quantized"));
            KvCacheSettings settings = KvFlags.parse(entryFlags, dir);
            KvFlags.calibrationNote(entryFlags, settings, dir).ifPresent(notes::add);
            String name = named ? entry.substring(0, eq) : spec;
            if (!names.add(name)) throw new UsageException("--kv: '" + name + "' given twice");
            modes.add(new PromptSetEval.Mode(name, settings));
        }
        // a command-wide --kv-... flag must reach at least one mode
        for (String flag : flags.names()) {
            if (flag.startsWith("kv-") && !flag.equals("kv-bits") && modes.stream().noneMatch(m -> KvFlags.applying(m.settings().mode()).contains(flag))) {
                throw new UsageException("--" + flag + " does not apply to any of the --kv modes given ("
                        + String.join(", ", modes.stream().map(PromptSetEval.Mode::name).toList()) + ")");
            }
        }
        return modes;
    }
}
