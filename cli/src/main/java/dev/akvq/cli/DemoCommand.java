package dev.akvq.cli;

import dev.akvq.model.VisionLanguageModel;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code akvq demo}: shows what the engine does on the checkpoints bundled with the repository.
 * It checks every bundled checkpoint as {@code akvq inspect} does (one line each), decodes the
 * llama fixture's prompt with FP32 and FP16 caches against transformers' tokens, and then has
 * the trained llava-shapes model answer six evaluation prompts with their images under four KV
 * caches (FP16, RTN-2, KIVI-2, AKVQ-VL), side by side, with accuracy, cache bytes, bits per
 * value and tokens/s ({@link LlavaDemo}).
 */
final class DemoCommand implements Command {
    /** Bundled checkpoints, relative to the fixtures' models/ folder. */
    static final List<String> BUNDLED = List.of("llava-shapes", "llama", "llama/bf16", "llava", "llava/bf16",
            "idefics3", "idefics3/bf16", "qwen2vl", "qwen2vl/bf16");

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "show what the engine does on the bundled checkpoints";
    }

    @Override
    public String help() {
        return """
                akvq demo: show what the engine does on the bundled checkpoints

                Usage: akvq demo [--fixtures DIR] [--threads N]

                1. Loads each checkpoint bundled under tests/src/test/resources/fixtures/models
                   (memory-mapped, every header validated, checked against its architecture as
                   'akvq inspect' does): one line each.
                2. Decodes the llama fixture's prompt with FP32 and FP16 caches and compares the
                   greedy tokens with transformers'.
                3. The trained llava-shapes model answers six evaluation prompts (three of
                   eval/, 12-20 images each, and three of eval_single/) with their images, with
                   FP16, RTN-2, KIVI-2 and AKVQ-VL caches: the answers side by side, then accuracy
                   over the shown prompts, KV bytes, bits per value and tokens/s. AKVQ-VL's layer
                   table is calibrated first on the three eval/ prompts (as 'akvq calibrate' does,
                   kept in memory). 'akvq eval' scores whole sets.

                Options:
                  --fixtures DIR   another fixtures folder (default: the repository's copy)
                  --threads N      prompts decoded at a time (default: all cores)

                Examples:
                  akvq demo
                  akvq eval --help
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("fixtures", "threads"), Set.of());
        Path models = flags.optional("fixtures").map(Path::of).orElseGet(DemoCommand::bundledFixtures).resolve("models");
        if (!Files.isDirectory(models)) {
            throw new UsageException("no fixtures at " + models + " (expected the repository's "
                    + "tests/src/test/resources/fixtures; give --fixtures DIR)");
        }
        int threads = flags.threads(err);
        int failed = 0;
        out.println("== bundled checkpoints: memory-mapped, validated and checked against their architecture");
        for (String name : BUNDLED) {
            Path dir = models.resolve(name);
            long start = System.nanoTime();
            ByteArrayOutputStream report = new ByteArrayOutputStream();
            PrintStream captured = new PrintStream(report, true, StandardCharsets.UTF_8);
            boolean ok = InspectCommand.inspect(dir, false, captured, captured) == 0;
            String text = report.toString(StandardCharsets.UTF_8);
            out.printf("  %-14s %s  %s (%.1f ms)%n", name, ok ? "ok    " : "FAILED", line(text, "parameters    "),
                    (System.nanoTime() - start) / 1e6);
            if (!ok) {
                out.print(text);
                failed++;
            }
        }
        out.println();
        failed += decodeLikeTransformers(models.resolve("llama"), out);
        failed += LlavaDemo.run(models.resolve("llava-shapes"), threads, out, err);
        return failed == 0 ? 0 : 1;
    }

    /** The rest of {@code prefix}'s line in an inspect report, or "" when absent. */
    private static String line(String report, String prefix) {
        for (String l : report.split("\n")) if (l.startsWith(prefix)) return l.substring(prefix.length()).strip();
        return "";
    }

    /**
     * Runs the llama fixture's prompt through the decoder with each available KV mode and
     * compares with what transformers computed: the 8 greedy tokens and the prefill logits.
     */
    private static int decodeLikeTransformers(Path dir, PrintStream out) {
        out.println("== llama fixture: greedy decoding compared with transformers 4.47.1 (goldens.safetensors)");
        Path goldens = dir.resolve("goldens.safetensors");
        int failed = 0;
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, WorkerPool.defaultThreads());
             SafetensorsFile golden = SafetensorsFile.open(goldens)) {
            long[] ids = golden.require("input_ids").toLongArray();
            long[] expected = golden.require("decode_tokens").toLongArray();
            float[] expectedLogits = golden.require("logits").toFloatArray();
            for (KvMode mode : new KvMode[] {KvMode.FP32, KvMode.FP16}) {
                TraceFile trace = new TraceFile();
                TraceCommand.BatchResult result = TraceCommand.traceBatch(model, KvCacheSettings.defaults(mode),
                        new long[][] {ids}, null, expected.length, trace);
                long[] tokens = result.tokens();
                double worst = 0, scale = 0;
                float[] logits = result.logits();
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs((double) logits[i] - expectedLogits[i]));
                    scale = Math.max(scale, Math.abs(expectedLogits[i]));
                }
                boolean same = Arrays.equals(tokens, expected);
                out.printf("  --kv %-5s prompt %d tokens, generated %s: %s transformers; prefill logits max |diff| %.1g of max |logit|%n",
                        mode.flag(), ids.length, Arrays.toString(tokens), same ? "same as" : "DIFFERENT from", worst / scale);
                if (mode == KvMode.FP32 && !same) failed++;
            }
        }
        out.println();
        return failed;
    }

    private static Path bundledFixtures() {
        String home = System.getProperty("akvq.home", ".");
        return Path.of(home, "tests", "src", "test", "resources", "fixtures");
    }
}
