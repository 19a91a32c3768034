package dev.akvq.bench;

import dev.akvq.cli.UsageException;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link DecoderBench} and prints decode tokens/s as a fraction of its bound (the weights'
 * read bandwidth measured in the same run divided by the bytes read per token) and prefill
 * tokens/s and GFLOP/s.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/benchmarks.jar dev.akvq.bench.DecoderReport
 * </pre>
 */
public final class DecoderReport {
    private DecoderReport() {}

    static final ReportCommand COMMAND = new ReportCommand("decoder", "decode and prefill of 360M and 1B shapes against read bandwidth", """
            akvq bench decoder: whole decoders against the weights' read bandwidth (JMH, about 8 minutes)

            Usage: ./akvq bench decoder

            Runs DecoderBench on checkpoints of SmolLM2-360M's and Llama-3.2-1B's shapes with random BF16
            weights (3.2 GB written to /tmp/akvq-bench on first use), on 1 and 2 threads, and prints decode
            tokens/s (one token after a 32-token prompt, FP32 KV cache) as a fraction of its bound (one read
            of every matrix byte a step reads, measured in the same run), and 128-token prefill tokens/s and
            GFLOP/s. Takes no arguments.

            Examples:
              ./akvq bench decoder
            """);

    public static void main(String[] args) {
        COMMAND.main(args, DecoderReport::report);
    }

    private static void report(String[] args) throws RunnerException {
        if (args.length > 0) throw new UsageException("takes no arguments, got '" + String.join(" ", args) + "'");
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(DecoderBench.class.getName() + "\\.")
                .forks(1).warmupIterations(3).measurementIterations(5)
                .warmupTime(TimeValue.seconds(2)).measurementTime(TimeValue.seconds(2))
                .jvmArgs("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g")
                .build()).run();
        System.out.println();
        System.out.println("| shape | threads | decode tok/s | weight GB/s in decode | weight read GB/s | decode / bound | prefill-128 tok/s | prefill GFLOP/s |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String shape : new String[] {"smollm2-360m", "llama3.2-1b"}) {
            for (String threads : new String[] {"1", "2"}) {
                double decodeMs = score(results, "decodeStep", shape, threads);
                double prefillMs = score(results, "prefill128", shape, threads);
                double readMs = score(results, "readWeights", shape, threads);
                long bytes = bytes(shape);
                double decodeGbs = bytes / (decodeMs * 1e6), readGbs = bytes / (readMs * 1e6);
                // 2 FLOP per weight per token for the layers' matrices, the lm_head for the last token
                // only (attention over 128 tokens is negligible next to them).
                long lmHead = (long) shapeOf(shape).vocab() * shapeOf(shape).hidden();
                double flops = 2.0 * ((bytes / 2 - lmHead) * DecoderBench.PREFILL + lmHead);
                double prefillGflops = flops / (prefillMs * 1e6);
                System.out.printf("| %s | %s | %.1f | %.1f | %.1f | %.0f%% | %.0f | %.1f |%n", shape, threads, 1000 / decodeMs,
                        decodeGbs, readGbs, 100 * readMs / decodeMs, DecoderBench.PREFILL * 1000 / prefillMs, prefillGflops);
            }
        }
    }

    private static double score(Collection<RunResult> results, String benchmark, String shape, String threads) {
        for (RunResult r : results) {
            var p = r.getParams();
            if (p.getBenchmark().endsWith("." + benchmark) && p.getParam("shape").equals(shape) && p.getParam("threads").equals(threads)) {
                return r.getPrimaryResult().getScore();
            }
        }
        throw new IllegalStateException("no result for " + benchmark + " " + shape + " " + threads);
    }

    private static RandomCheckpoint.Shape shapeOf(String shape) {
        return shape.equals("llama3.2-1b") ? RandomCheckpoint.LLAMA32_1B : RandomCheckpoint.SMOLLM2_360M;
    }

    /** Matrix bytes of the BF16 shapes (2 bytes per parameter; the norms are negligible and not read as matrices). */
    private static long bytes(String shape) {
        RandomCheckpoint.Shape s = shapeOf(shape);
        long q = (long) s.heads() * s.headDim(), kv = (long) s.kvHeads() * s.headDim();
        long perLayer = s.hidden() * (q + 2 * kv) + q * s.hidden() + 3L * s.hidden() * s.intermediate();
        return 2 * (s.layers() * perLayer + (long) s.vocab() * s.hidden());
    }
}
