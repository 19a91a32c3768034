package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A warm prompt's GFLOP/s against the FMA peak, both per second of this thread's CPU time, on one
 * thread, the two interleaved round by round. {@link RunReport}'s row "prefill 128, warm, vs FMA
 * peak" divides wall times, which on a machine shared with other work measure the neighbours; on
 * one thread the prompt runs on the calling thread (the pool has no helpers), so its CPU time is
 * the work alone. FLOPs are counted as {@link RunReport} counts them: 2 per layer weight per token.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmn64m -cp bench/target/benchmarks.jar dev.akvq.bench.PrefillCpuReport \
 *     MODEL_DIR [--tokens 128] [--rounds 12]
 * </pre>
 */
public final class PrefillCpuReport {
    private PrefillCpuReport() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length % 2 != 1) {
            System.err.println("usage: PrefillCpuReport MODEL_DIR [--tokens 128] [--rounds 12]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int tokens = 128, rounds = 12;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        if (rounds < 4) throw new IllegalArgumentException("--rounds must be >= 4 (the first half is warm-up)");
        ThreadMXBean threadTimes = ManagementFactory.getThreadMXBean();
        TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(model);
        System.out.printf("# warm %d-token prefill vs FMA peak, 1 thread, CPU time; %s; load average %s%n", tokens, model,
                Files.readString(Path.of("/proc/loadavg")).trim());
        try (Checkpoint checkpoint = Checkpoint.open(model); WorkerPool pool = WorkerPool.create(1)) {
            long matrixBytes = checkpoint.tensors().stream().filter(t -> t.rank() == 2).mapToLong(WeightTensor::byteSize).sum();
            long layerWeights = matrixBytes / 2 - (long) config.vocabSize() * config.hiddenSize();
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
            int[] ids = RunReport.promptIds(tokens, config.vocabSize());
            Modality[] text = new Modality[tokens];
            Arrays.fill(text, Modality.TEXT);
            double[] prefill = new double[rounds], fma = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long start = threadTimes.getCurrentThreadCpuTime();
                LlamaSequence sequence = new LlamaSequence(decoder, KvCacheSettings.defaults(KvMode.FP16));
                sequence.lastLogits(sequence.prefill(decoder.embed(ids), text, Trace.NONE), tokens);
                prefill[r] = 2.0 * tokens * layerWeights / (threadTimes.getCurrentThreadCpuTime() - start);
                start = threadTimes.getCurrentThreadCpuTime();
                float sink = new FmaPeakBench().fmaChains();
                fma[r] = FmaPeakBench.flopsPerCall() / (threadTimes.getCurrentThreadCpuTime() - start);
                System.out.printf("round %d: prefill %.1f GFLOP/s, FMA peak %.1f GFLOP/s, ratio %.0f%%%s%n",
                        r + 1, prefill[r], fma[r], 100 * prefill[r] / fma[r], sink == 12345.678f ? " " : "");
            }
            double p = RunReport.median(Arrays.copyOfRange(prefill, rounds / 2, rounds));
            double f = RunReport.median(Arrays.copyOfRange(fma, rounds / 2, rounds));
            System.out.printf("median of rounds %d-%d: prefill %.1f GFLOP/s, FMA peak %.1f GFLOP/s, ratio %.0f%%%n",
                    rounds / 2 + 1, rounds, p, f, 100 * p / f);
        }
    }
}
