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
 * Decode of several KV modes after the same prompt, in one warm JVM, their steps interleaved
 * token by token so that a busy neighbour slows every mode alike. Besides wall time per token it
 * reports the CPU time of all of this JVM's threads per token: on a machine shared with other
 * work, wall time measures the neighbours, while CPU time measures the work (spin-waiting
 * included, so the ratio of two modes stays meaningful at one thread, where nothing spins).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.akvq.bench.DecodeCompare \
 *     MODEL_DIR [--context 4000] [--steps 24] [--threads 1] [--modes fp16,akvq]
 * </pre>
 */
public final class DecodeCompare {
    private DecodeCompare() {}

    /** Steps run before timing starts (JIT and first-use costs). */
    private static final int UNTIMED_STEPS = 5;

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length % 2 != 1) {
            System.err.println("usage: DecodeCompare MODEL_DIR [--context N] [--steps N] [--threads N] [--modes fp16,akvq]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int context = 4000, steps = 24, threads = 1;
        String[] modes = {"fp16", "akvq"};
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--context" -> context = Integer.parseInt(args[i + 1]);
                case "--steps" -> steps = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--modes" -> modes = args[i + 1].split(",");
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(model);
        ThreadMXBean threadTimes = ManagementFactory.getThreadMXBean();
        System.out.printf("# decode after a %d-token prompt, %d threads, %s; load average %s%n", context, threads, model,
                Files.readString(Path.of("/proc/loadavg")).trim());
        try (Checkpoint checkpoint = Checkpoint.open(model); WorkerPool pool = WorkerPool.create(threads)) {
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
            LlamaSequence[] sequences = new LlamaSequence[modes.length];
            int[] ids = RunReport.promptIds(context, config.vocabSize());
            Modality[] text = new Modality[context];
            Arrays.fill(text, Modality.TEXT);
            for (int m = 0; m < modes.length; m++) {
                KvCacheSettings settings = KvCacheSettings.defaults(KvMode.valueOf(modes[m].toUpperCase(Locale.ROOT)));
                decoder.warmUp(settings);
                sequences[m] = new LlamaSequence(decoder, settings);
                long start = System.nanoTime();
                sequences[m].prefill(decoder.embed(ids), text, Trace.NONE);
                System.err.printf("DecodeCompare: %s prompt in %.1f s%n", modes[m], (System.nanoTime() - start) / 1e9);
            }
            double[][] wallMs = new double[modes.length][steps], cpuMs = new double[modes.length][steps];
            for (int step = 0; step < UNTIMED_STEPS + steps; step++) {
                for (int m = 0; m < modes.length; m++) {
                    long cpu = cpuNanos(threadTimes), start = System.nanoTime();
                    sequences[m].step(ids[step % ids.length]);
                    long wall = System.nanoTime() - start;
                    if (step >= UNTIMED_STEPS) {
                        wallMs[m][step - UNTIMED_STEPS] = wall / 1e6;
                        cpuMs[m][step - UNTIMED_STEPS] = (cpuNanos(threadTimes) - cpu) / 1e6;
                    }
                }
            }
            System.out.println("| mode | wall ms/token (median) | CPU ms/token, all threads (median) | CPU vs " + modes[0] + " |");
            System.out.println("|---|---|---|---|");
            double first = RunReport.median(cpuMs[0]);
            for (int m = 0; m < modes.length; m++) {
                double cpu = RunReport.median(cpuMs[m]);
                System.out.printf("| %s | %.1f | %.1f | %.2f |%n", modes[m], RunReport.median(wallMs[m]), cpu, cpu / first);
            }
        }
        System.out.println("load average at the end: " + Files.readString(Path.of("/proc/loadavg")).trim());
    }

    /** CPU time of every live thread of this JVM (JIT and GC threads included). */
    private static long cpuNanos(ThreadMXBean threadTimes) {
        long sum = 0;
        for (long id : threadTimes.getAllThreadIds()) sum += Math.max(0, threadTimes.getThreadCpuTime(id));
        return sum;
    }
}
