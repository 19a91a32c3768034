package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a cold one-shot run's prompt costs beyond a warm one, by CPU time rather than by clock: in a
 * fresh JVM, the warm-up {@code ./akvq run} does ({@code LlamaDecoder.warmUp}), then the same
 * prompt several times. For each it prints wall time, the CPU time of the Java threads (the
 * compute threads; of it, time in the kernel: page faults) and of the whole process (adding the
 * JIT compiler and GC threads). The first prompt is the one a user feels; the later ones are warm.
 * With {@code --decode N}, the last prompt is followed by N decode steps, each with its Java
 * threads' and the process's CPU time: a step that is slower than the later ones runs code the JIT
 * has not compiled yet.
 * On a machine shared with other work, wall time measures the neighbours, while the CPU times
 * measure what the JIT and the first touch of the mapped weights still leave to the first prompt.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m \
 *     -XX:CICompilerCount=4 -cp bench/target/benchmarks.jar dev.akvq.bench.FirstPrompt \
 *     MODEL_DIR [--tokens 128] [--kv fp16] [--prompts 3] [--decode 0] [--threads 2] [--no-warmup]
 * </pre>
 *
 * (the JVM flags of the {@code akvq} launcher on a machine below 8 CPUs).
 */
public final class FirstPrompt {
    private FirstPrompt() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: FirstPrompt MODEL_DIR [--tokens N] [--kv MODE] [--prompts N] [--decode N] [--threads N] [--no-warmup]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int tokens = 128, prompts = 3, decode = 0, threads = 2;
        String kv = "fp16";
        boolean warmUp = true;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--kv" -> kv = args[++i];
                case "--prompts" -> prompts = Integer.parseInt(args[++i]);
                case "--decode" -> decode = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--no-warmup" -> warmUp = false;
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(model);
        KvCacheSettings settings = KvCacheSettings.defaults(KvMode.valueOf(kv.toUpperCase(Locale.ROOT)));
        System.out.printf("# first and later %d-token prompts in one fresh JVM, --kv %s, %d threads, %s; load average %s%n",
                tokens, kv, threads, model, Files.readString(Path.of("/proc/loadavg")).trim());
        try (Checkpoint checkpoint = Checkpoint.open(model); WorkerPool pool = WorkerPool.create(threads)) {
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
            Cost start = Cost.now();
            if (warmUp) decoder.warmUp(settings);
            System.out.println("warm-up:  " + Cost.now().minus(start));
            int[] ids = RunReport.promptIds(tokens, config.vocabSize());
            Modality[] text = new Modality[tokens];
            Arrays.fill(text, Modality.TEXT);
            for (int p = 0; p < prompts; p++) {
                Cost before = Cost.now();
                try (LlamaSequence s = new LlamaSequence(decoder, settings)) {
                    s.lastLogits(s.prefill(decoder.embed(ids), text, Trace.NONE), tokens);
                    System.out.printf("prompt %d: %s%n", p + 1, Cost.now().minus(before));
                    if (p == prompts - 1 && decode > 0) {
                        StringBuilder steps = new StringBuilder("decode steps, CPU ms of the Java threads / the process:");
                        for (int t = 0; t < decode; t++) {
                            Cost step = Cost.now();
                            s.step(ids[t % tokens]);
                            Cost c = Cost.now().minus(step);
                            steps.append(String.format(" %.0f/%.0f", c.threads / 1e6, c.process / 1e6));
                        }
                        System.out.println(steps);
                    }
                }
            }
        }
    }

    /** Wall time, CPU time of the Java threads (and of it in the kernel) and of the whole process, in nanoseconds. */
    private record Cost(long wall, long threads, long kernel, long process) {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        static Cost now() {
            long cpu = 0, user = 0;
            for (long id : THREADS.getAllThreadIds()) {
                long c = THREADS.getThreadCpuTime(id), u = THREADS.getThreadUserTime(id);
                if (c > 0 && u >= 0) {   // -1: the thread ended in between
                    cpu += c;
                    user += u;
                }
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            return new Cost(System.nanoTime(), cpu, cpu - user, os.getProcessCpuTime());
        }

        Cost minus(Cost o) {
            return new Cost(wall - o.wall, threads - o.threads, kernel - o.kernel, process - o.process);
        }

        @Override
        public String toString() {
            return String.format("%.3f s wall; CPU: Java threads %.3f s (kernel %.3f s), process %.3f s",
                    wall / 1e9, threads / 1e9, kernel / 1e9, process / 1e9);
        }
    }
}
