package dev.akvq.bench;

import dev.akvq.cli.UsageException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the kernel benchmarks (two JVM forks each: memory placement differs between forks) behind the README's numbers and prints each as a ratio to a bound
 * measured in the same run: BF16 matrix-vector GB/s against {@link MemoryRead}'s GB/s over the same
 * rotating buffer, F32 matrix-matrix GFLOP/s against {@link FmaPeakBench}'s, and 2-thread over
 * 1-thread scaling. Each number is the median of the measured iterations (see {@link #median}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/benchmarks.jar dev.akvq.bench.KernelReport [warmup-iterations measure-iterations]
 * </pre>
 */
public final class KernelReport {
    private KernelReport() {}

    private static final String[] JVM = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"};

    static final ReportCommand COMMAND = new ReportCommand("kernels", "BF16 matrix-vector and F32 matrix-matrix against read bandwidth and FMA peak", """
            akvq bench kernels: the kernels against bounds measured in the same run (JMH, about 6 minutes)

            Usage: ./akvq bench kernels [WARMUP [MEASURE]]

            Runs the JMH kernel benchmarks, two JVM forks each, and prints the median of the measured
            iterations as a ratio to a bound: BF16 matrix-vector GB/s of weights (4096x4096, 2048x8192)
            against a plain Vector API read of the same bytes (MemoryRead), F32 matrix-matrix GFLOP/s
            (512 tokens x 2048 x 2048) against the FMA peak (FmaPeakBench), on 1 and 2 threads, and the
            2-thread over 1-thread scaling. Markdown tables on stdout, JMH's progress on stdout before them.

            Arguments:
              WARMUP     1 s warmup iterations per fork (default 5: the first calls run the Vector API interpreted)
              MEASURE    1 s measured iterations per fork (default 7)

            Examples:
              ./akvq bench kernels
              ./akvq bench kernels 2 3
            """);

    public static void main(String[] args) {
        COMMAND.main(args, KernelReport::report);
    }

    private static void report(String[] args) throws RunnerException {
        if (args.length > 2) throw new UsageException("expected at most WARMUP and MEASURE, got " + args.length + " arguments: " + String.join(" ", args));
        // Five 1 s warmups: the first calls run the Vector API interpreted (a second per call).
        int warmup = args.length > 0 ? ReportCommand.atLeast("WARMUP", args[0], 0) : 5;
        int measure = args.length > 1 ? ReportCommand.atLeast("MEASURE", args[1], 1) : 7;

        Collection<RunResult> matvec = run(base(warmup, measure).include(MatrixVectorBench.class.getName() + "\\."));
        Collection<RunResult> matmul = run(base(warmup, measure).include(MatrixMatrixBench.class.getName() + "\\."));
        double fma1 = score(run(base(warmup, measure).include(FmaPeakBench.class.getName() + "\\.").threads(1)));
        double fma2 = score(run(base(warmup, measure).include(FmaPeakBench.class.getName() + "\\.").threads(2)));
        // Average time per call over 2 threads running independently: aggregate throughput doubles it.
        double fmaGflops1 = FmaPeakBench.flopsPerCall() / (fma1 * 1e3);
        double fmaGflops2 = 2 * FmaPeakBench.flopsPerCall() / (fma2 * 1e3);

        StringBuilder out = new StringBuilder();
        out.append("\n## BF16 matrix-vector, weights not in cache (GB/s of weight bytes)\n\n");
        out.append("| shape | threads | matvec us/call | matvec GB/s | memory read GB/s | ratio |\n|---|---|---|---|---|---|\n");
        double[][] gbs = new double[2][3];
        String[] shapes = {"4096x4096", "2048x8192"};
        for (int s = 0; s < shapes.length; s++) {
            for (int threads = 1; threads <= 2; threads++) {
                double us = find(matvec, "bf16MatrixVector", shapes[s], threads);
                double readUs = find(matvec, "memoryRead", shapes[s], threads);
                double bytes = MatrixVectorBench.bytesPerCall(shapes[s]);
                double kernel = bytes / (us * 1e3), read = bytes / (readUs * 1e3);
                gbs[s][threads] = kernel;
                out.append(String.format("| %s | %d | %.0f | %.2f | %.2f | %.0f%% |%n", shapes[s], threads, us, kernel, read, 100 * kernel / read));
            }
        }
        out.append("\n## F32 matrix-matrix 512 tokens x 2048 in x 2048 out (GFLOP/s)\n\n");
        out.append("| threads | ms/call | GFLOP/s | FMA peak GFLOP/s (same threads) | ratio |\n|---|---|---|---|---|\n");
        double[] gflops = new double[3];
        for (int threads = 1; threads <= 2; threads++) {
            double ms = find(matmul, "f32MatrixMatrix", null, threads);
            gflops[threads] = MatrixMatrixBench.FLOPS_PER_CALL / (ms * 1e6);
            double peak = threads == 1 ? fmaGflops1 : fmaGflops2;
            out.append(String.format("| %d | %.1f | %.1f | %.1f | %.0f%% |%n", threads, ms, gflops[threads], peak, 100 * gflops[threads] / peak));
        }
        out.append("\n## Thread scaling (2 threads / 1 thread)\n\n| kernel | speed-up |\n|---|---|\n");
        for (int s = 0; s < shapes.length; s++) {
            out.append(String.format("| BF16 matvec %s | %.2fx |%n", shapes[s], gbs[s][2] / gbs[s][1]));
        }
        out.append(String.format("| F32 matmul 512x2048x2048 | %.2fx |%n", gflops[2] / gflops[1]));
        out.append(String.format("| FMA peak | %.2fx |%n", fmaGflops2 / fmaGflops1));
        System.out.println(out);
    }

    private static ChainedOptionsBuilder base(int warmup, int measure) {
        return new OptionsBuilder().forks(2).warmupIterations(warmup).warmupTime(TimeValue.seconds(1))
                .measurementIterations(measure).measurementTime(TimeValue.seconds(1)).jvmArgsAppend(JVM);
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
        return new Runner(options.build()).run();
    }

    private static double score(Collection<RunResult> results) {
        List<RunResult> all = new ArrayList<>(results);
        if (all.size() != 1) throw new IllegalStateException("expected one result, got " + all.size());
        return median(all.get(0));
    }

    /**
     * Median of the measured iterations, not JMH's mean: on a shared 2-core machine a build running
     * beside the benchmark slows a few iterations by 2x, and the median ignores them.
     */
    private static double median(RunResult result) {
        List<Double> scores = new ArrayList<>();
        for (var benchmark : result.getBenchmarkResults()) {
            for (var iteration : benchmark.getIterationResults()) scores.add(iteration.getPrimaryResult().getScore());
        }
        scores.sort(null);
        int n = scores.size();
        return n % 2 == 1 ? scores.get(n / 2) : (scores.get(n / 2 - 1) + scores.get(n / 2)) / 2;
    }

    private static double find(Collection<RunResult> results, String benchmark, String shape, int threads) {
        for (RunResult r : results) {
            var p = r.getParams();
            if (p.getBenchmark().endsWith("." + benchmark) && (shape == null || shape.equals(p.getParam("shape")))
                    && Integer.toString(threads).equals(p.getParam("threads"))) {
                return median(r);
            }
        }
        throw new IllegalStateException("no result for " + benchmark + " " + shape + " threads=" + threads);
    }
}
