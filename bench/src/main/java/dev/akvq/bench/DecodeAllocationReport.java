package dev.akvq.bench;

import dev.akvq.cli.Flags;
import dev.akvq.cli.UsageException;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;

/**
 * Bytes the JVM allocates per decode step (issue 13: no per-step garbage on the decode path),
 * counted by {@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes} over every
 * thread (the caller and the worker pool) around {@code --steps} greedy steps, after a prompt and
 * {@code --warm} steps that let the JIT compile the kernels (interpreted and C1-compiled Vector API
 * code boxes a vector per operation, so a cold step measures the compiler, not the engine). The
 * figure is printed next to one logits row ({@code vocab · 4} bytes), the largest buffer a step used
 * to allocate. {@code --jfr FILE} records the measured steps' allocation samples for attribution
 * ({@code jfr view allocation-by-site FILE}).
 *
 * <pre>
 * java ... dev.akvq.bench.DecodeAllocationReport --model DIR [--kv fp16,akvq] [--prompt 256] [--warm 64] [--steps 32] [--threads 2]
 * </pre>
 */
public final class DecodeAllocationReport {
    private DecodeAllocationReport() {}

    static final ReportCommand COMMAND = new ReportCommand("allocation", "bytes the JVM allocates per decode step, per KV mode", """
            akvq bench allocation: bytes allocated per decode step (no per-step garbage on the decode path)

            Usage: ./akvq bench allocation [--model DIR] [--kv MODE,MODE] [--prompt N] [--warm N] [--steps N]
                                           [--threads N] [--jfr PREFIX]

            For each --kv mode, prefills a --prompt-token prompt, runs --warm greedy steps so that the JIT
            compiles the kernels, then counts the bytes every thread allocates over --steps steps
            (com.sun.management.ThreadMXBean) and prints them per step, next to one logits row.

            Options:
              --model DIR       a checkpoint (default /tmp/akvq-bench/llama3-374m, written by ./akvq bench run)
              --kv MODE,MODE    KV modes, comma-separated (default fp16,akvq)
              --prompt N        prompt tokens (default 256)
              --warm N          steps before measuring (default 64)
              --steps N         measured steps (default 32)
              --threads N       worker threads (default 2)
              --jfr PREFIX      also record JFR allocation samples of the measured steps to PREFIX.MODE.jfr
                                (read them with: jfr view allocation-by-site FILE)

            Examples:
              ./akvq bench allocation
              ./akvq bench allocation --model /tmp/akvq-bench/llama3-374m --kv fp16,akvq --prompt 256 --warm 64 --steps 32
              ./akvq bench allocation --kv akvq --jfr /tmp/alloc
            """);

    public static void main(String[] args) {
        COMMAND.main(args, DecodeAllocationReport::report);
    }

    private static void report(String[] args) throws Exception {
        Flags flags = COMMAND.flags(args, "model", "kv", "prompt", "warm", "steps", "threads", "jfr");
        Path model = Path.of(flags.optional("model").orElse(System.getProperty("akvq.bench.dir", "/tmp/akvq-bench") + "/llama3-374m"));
        int prompt = flags.positiveInt("prompt", 256);
        int warm = ReportCommand.atLeast(flags, "warm", 0, 64);
        int steps = flags.positiveInt("steps", 32);
        int threads = flags.positiveInt("threads", 2);
        List<KvMode> modes = new ArrayList<>();
        for (String kv : flags.optional("kv").orElse("fp16,akvq").split(",")) {
            try {
                modes.add(KvMode.parse(kv));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--kv: " + e.getMessage());
            }
        }
        var threadBean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (VisionLanguageModel vlm = VisionLanguageModel.load(model, threads, false)) {
            int vocab = vlm.decoder().config().vocabSize();
            for (KvMode mode : modes) {
                String kv = mode.flag();
                KvCacheSettings settings = KvCacheSettings.defaults(mode);
                PreparedPrompt prepared = vlm.prepare(PromptInput.ids(RunReport.promptIds(prompt, vocab)), Trace.NONE);
                try (TokenSequence sequence = vlm.prefill(prepared, settings, Trace.NONE)) {
                    int token = 3;
                    for (int s = 0; s < warm; s++) token = next(sequence.step(token));
                    Recording jfr = null;
                    if (flags.has("jfr")) {
                        jfr = new Recording();
                        jfr.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
                        jfr.start();
                    }
                    long before = threadBean.getTotalThreadAllocatedBytes();
                    for (int s = 0; s < steps; s++) token = next(sequence.step(token));
                    long perStep = (threadBean.getTotalThreadAllocatedBytes() - before) / steps;
                    if (jfr != null) {
                        jfr.stop();
                        jfr.dump(Path.of(flags.require("jfr") + "." + kv + ".jfr"));
                        jfr.close();
                    }
                    System.out.printf("--kv %-5s prompt %d, after %d warm steps: %,d bytes allocated per decode step over %d steps"
                            + " (%.3f logits rows of %,d bytes)%n", kv, prompt, warm, perStep, steps, perStep / (4.0 * vocab), 4L * vocab);
                }
            }
        }
    }

    /** A token that keeps the sequence going without depending on the (random) model's argmax. */
    private static int next(float[] logits) {
        return 3 + (int) ((Float.floatToRawIntBits(logits[0]) & 0x7fffffff) % 1000);
    }
}
