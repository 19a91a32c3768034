package dev.akvq.cli;

import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code akvq demo}: shows what the engine does on the checkpoints bundled with the repository.
 * It inspects them (loading, validating and accounting every tensor) and decodes the llama
 * fixture's prompt, comparing with transformers; it grows as the vision towers and the AKVQ-VL
 * cache land.
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

                Usage: akvq demo [--fixtures DIR]

                Loads each checkpoint bundled under tests/src/test/resources/fixtures/models
                (memory-mapped, every header validated) and checks it against its architecture,
                as 'akvq inspect' does.

                Options:
                  --fixtures DIR   another fixtures folder (default: the repository's copy)

                Examples:
                  akvq demo
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("fixtures"), Set.of());
        Path models = flags.optional("fixtures").map(Path::of).orElseGet(DemoCommand::bundledFixtures).resolve("models");
        if (!Files.isDirectory(models)) {
            throw new UsageException("no fixtures at " + models + " (expected the repository's "
                    + "tests/src/test/resources/fixtures; give --fixtures DIR)");
        }
        int failed = 0;
        for (String name : BUNDLED) {
            Path dir = models.resolve(name);
            out.println("== " + name);
            long start = System.nanoTime();
            failed += InspectCommand.inspect(dir, out, err) == 0 ? 0 : 1;
            out.printf("loaded and checked in %.1f ms%n%n", (System.nanoTime() - start) / 1e6);
        }
        failed += decodeLikeTransformers(models.resolve("llama"), out);
        out.println("Next: the tokenizer, the vision towers and the AKVQ-VL cache (see README, 'What works now').");
        return failed == 0 ? 0 : 1;
    }

    /**
     * Runs the llama fixture's prompt through the decoder with each available KV mode and
     * compares with what transformers computed: the 8 greedy tokens and the prefill logits.
     */
    private static int decodeLikeTransformers(Path dir, PrintStream out) {
        out.println("== llama: greedy decoding compared with transformers 4.47.1 (goldens.safetensors)");
        Path goldens = dir.resolve("goldens.safetensors");
        int failed = 0;
        try (Checkpoint checkpoint = Checkpoint.open(dir); SafetensorsFile golden = SafetensorsFile.open(goldens);
             WorkerPool pool = WorkerPool.create(WorkerPool.defaultThreads())) {
            TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(dir);
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
            long[] ids = golden.require("input_ids").toLongArray();
            long[] expected = golden.require("decode_tokens").toLongArray();
            float[] expectedLogits = golden.require("logits").toFloatArray();
            for (KvMode mode : new KvMode[] {KvMode.FP32, KvMode.FP16}) {
                TraceFile trace = new TraceFile();
                long start = System.nanoTime();
                TraceCommand.BatchResult result = TraceCommand.traceBatch(decoder, mode, new long[][] {ids}, null, expected.length, trace);
                long[] tokens = result.tokens();
                double ms = (System.nanoTime() - start) / 1e6;
                double worst = 0, scale = 0;
                float[] logits = result.logits();
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs((double) logits[i] - expectedLogits[i]));
                    scale = Math.max(scale, Math.abs(expectedLogits[i]));
                }
                boolean same = Arrays.equals(tokens, expected);
                out.printf("--kv %-5s prompt %d tokens, generated %s: %s transformers; prefill logits max |diff| %.2g (%.1g of max |logit|); %.0f ms%n",
                        mode.flag(), ids.length, Arrays.toString(tokens), same ? "same as" : "DIFFERENT from", worst, worst / scale, ms);
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
