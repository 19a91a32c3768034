package dev.akvq.bench;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
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

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) flags.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        Path model = Path.of(flags.getOrDefault("model", System.getProperty("akvq.bench.dir", "/tmp/akvq-bench") + "/llama3-374m"));
        int prompt = Integer.parseInt(flags.getOrDefault("prompt", "256"));
        int warm = Integer.parseInt(flags.getOrDefault("warm", "64"));
        int steps = Integer.parseInt(flags.getOrDefault("steps", "32"));
        int threads = Integer.parseInt(flags.getOrDefault("threads", "2"));
        var threadBean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (VisionLanguageModel vlm = VisionLanguageModel.load(model, threads, false)) {
            int vocab = vlm.decoder().config().vocabSize();
            for (String kv : flags.getOrDefault("kv", "fp16,akvq").split(",")) {
                KvCacheSettings settings = KvCacheSettings.defaults(KvMode.parse(kv));
                PreparedPrompt prepared = vlm.prepare(PromptInput.ids(RunReport.promptIds(prompt, vocab)), Trace.NONE);
                try (TokenSequence sequence = vlm.prefill(prepared, settings, Trace.NONE)) {
                    int token = 3;
                    for (int s = 0; s < warm; s++) token = next(sequence.step(token));
                    Recording jfr = null;
                    if (flags.containsKey("jfr")) {
                        jfr = new Recording();
                        jfr.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
                        jfr.start();
                    }
                    long before = threadBean.getTotalThreadAllocatedBytes();
                    for (int s = 0; s < steps; s++) token = next(sequence.step(token));
                    long perStep = (threadBean.getTotalThreadAllocatedBytes() - before) / steps;
                    if (jfr != null) {
                        jfr.stop();
                        jfr.dump(Path.of(flags.get("jfr") + "." + kv + ".jfr"));
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
