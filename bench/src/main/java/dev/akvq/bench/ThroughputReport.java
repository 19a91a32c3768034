package dev.akvq.bench;

import dev.akvq.cli.UsageException;
import dev.akvq.engine.BatchScheduler;
import dev.akvq.engine.GenerationRequest;
import dev.akvq.engine.KvProjection;
import dev.akvq.engine.SchedulerSettings;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.DecoderBatch;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.RopeFrequencies;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.RotaryTables;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code akvq bench throughput}: the AKVQ-VL paper's batch and throughput claims (Table IV) on
 * this machine, at a language-model shape where the cache matters: multi-head attention as in
 * LLaVA-1.5 (as many KV heads as query heads), random BF16 weights written on first use.
 *
 * <p>Caches are filled synthetically (random post-RoPE keys and values appended through each
 * store's own prefill path, 5% text, 80% vision, 15% text as an image prompt is laid out), so a
 * long context costs no prefill; then decode steps of the whole batch run through
 * {@link LlamaDecoder#forwardBatch}, exactly as the scheduler runs them. Four tables:
 * <ol>
 *   <li>equal KV budget: how many sequences of {@code prompt + new} tokens each mode admits
 *       ({@link BatchScheduler}'s projection) and their aggregate decode tokens/s at that batch;</li>
 *   <li>equal batch: peak resident memory of a fresh JVM per mode (VmHWM, measured), weights
 *       mapped and touched included;</li>
 *   <li>decode step time at depth, per mode, context length and batch;</li>
 *   <li>akvq's aggregate tokens/s against batch size, next to its bound: one read of the weights
 *       per step plus the cache bytes, at the read bandwidth measured in the same run.</li>
 * </ol>
 */
public final class ThroughputReport {
    private ThroughputReport() {}

    /** LLaVA-1.5's attention layout (MHA, head_dim 64 here) at a size that runs in minutes on 2 cores. */
    static final RandomCheckpoint.Shape SHAPE = new RandomCheckpoint.Shape("llava-mha-8x1024", 1024, 2816, 8, 16, 16, 64, 32000,
            10000, "");
    static final KvMode[] MODES = {KvMode.FP16, KvMode.KIVI2, KvMode.AKVQ, KvMode.RTN2};
    static final int PROMPT = 1024, NEW = 64, MAX_BATCH = 64;
    static final long BUDGET = 192L << 20;

    static final List<String> TABLES = List.of("budget", "batch", "depth", "scaling");

    static final ReportCommand COMMAND = new ReportCommand("throughput", "batched decoding against the paper's Table IV (not JMH)", """
            akvq bench throughput: batched decoding per KV mode against the AKVQ-VL paper's Table IV

            Usage: ./akvq bench throughput [THREADS] [budget|batch|depth|scaling]...

            On a multi-head shape as LLaVA-1.5's (8 layers, hidden 1024, 16 heads of 64; random BF16 weights
            written to /tmp/akvq-bench/llava-mha-8x1024 on first use), with synthetic caches of fp16, kivi2,
            akvq and rtn2, prints the tables asked for (default all four):
              budget    how many sequences each mode admits under one KV budget, and their decode tokens/s
              batch     peak resident memory of a fresh JVM per mode at an equal batch
              depth     decode step time per mode at 512 to 4096 tokens of context
              scaling   akvq's aggregate tokens/s against batch size, next to its read-bandwidth bound

            Arguments:
              THREADS   worker threads (default 2)

            Examples:
              ./akvq bench throughput
              ./akvq bench throughput 2
              ./akvq bench throughput 2 budget depth
            """);

    public static void main(String[] args) throws Exception {
        // The "batch" table's fresh JVMs (childRun): internal, not part of the command line.
        if (args.length > 0 && args[0].equals("child")) {
            child(KvMode.parse(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Path.of(args[4]),
                    Integer.parseInt(args[5]));
            return;
        }
        COMMAND.main(args, ThroughputReport::report);
    }

    private static void report(String[] args) throws Exception {
        int threads = args.length > 0 ? ReportCommand.atLeast("THREADS", args[0], 1) : 2;
        // Which tables: budget, batch, depth, scaling (default all), e.g. "2 scaling".
        Set<String> tables = Set.copyOf(args.length > 1 ? Arrays.asList(args).subList(1, args.length) : TABLES);
        for (String table : tables) {
            if (!TABLES.contains(table)) throw new UsageException("unknown table '" + table + "'; expected some of " + String.join(", ", TABLES));
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "akvq-bench", SHAPE.name());
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            System.err.println("writing " + dir + " (random BF16 weights)...");
            RandomCheckpoint.write(SHAPE, dir);
        }
        long start = System.nanoTime();
        System.out.println("load average at the start: " + loadAverage());
        try (Checkpoint checkpoint = Checkpoint.open(dir); WorkerPool pool = WorkerPool.create(threads)) {
            TextDecoderConfig c = (TextDecoderConfig) dev.akvq.weights.config.ModelConfig.load(dir);
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, c, pool);
            long weightBytes = matrixBytes(c);
            double readGbs = readBandwidth(dir.resolve("model.safetensors"), pool);
            System.out.printf(Locale.ROOT, "shape %s: %d layers, %d heads of %d (MHA), hidden %d, vocab %d; %.1f MB of matrices read per"
                    + " step; %d threads; read bandwidth %.1f GB/s%n%n", SHAPE.name(), c.numHiddenLayers(), c.numAttentionHeads(),
                    c.headDim(), c.hiddenSize(), c.vocabSize(), weightBytes / 1e6, threads, readGbs);

            int fp16 = 0, akvq = 2;     // indices into MODES
            // 1. Equal KV budget.
            if (tables.contains("budget")) {
            System.out.printf(Locale.ROOT, "Equal KV budget: %d MiB, sequences of %d prompt + %d new tokens%n%n", BUDGET >> 20, PROMPT, NEW);
            System.out.println("| mode | projected bytes per sequence | sequences admitted | decode tok/s at that batch | ms per step |");
            System.out.println("|---|---|---|---|---|");
            double[] admittedOf = new double[MODES.length], tpsOf = new double[MODES.length];
            BatchScheduler scheduler = new BatchScheduler(decoder, SchedulerSettings.defaults().withBudget(BUDGET));
            for (int m = 0; m < MODES.length; m++) {
                KvCacheSettings kv = KvCacheSettings.defaults(MODES[m]);
                long projected = scheduler.projectedBytes(request(kv));
                int admitted = (int) Math.min(MAX_BATCH, BUDGET / projected);
                List<SyntheticSequence> batch = fill(decoder, kv, admitted, PROMPT + NEW / 2, 1);
                double ms = stepMillis(decoder, batch, 8);
                admittedOf[m] = admitted;
                tpsOf[m] = admitted * 1000 / ms;
                System.out.printf(Locale.ROOT, "| %s | %,d | %d | %.1f | %.1f |%n", MODES[m].flag(), projected, admitted, tpsOf[m], ms);
                batch.clear();
            }
            System.out.printf(Locale.ROOT, "%nakvq / fp16: %.2fx the sequences (paper: 3.25x), %.2fx the decode throughput (paper: 2.46x)%n%n",
                    admittedOf[akvq] / admittedOf[fp16], tpsOf[akvq] / tpsOf[fp16]);
            }
            System.gc();    // the caches of a table are garbage once it is printed; off-heap rows go back only with a GC

            // 2. Equal batch: peak resident memory, one fresh JVM per mode.
            if (tables.contains("batch")) {
            int equalBatch = 16;
            System.out.printf(Locale.ROOT, "Equal batch: %d sequences at %d tokens, peak resident memory of a fresh JVM (VmHWM),"
                    + " heap and off-heap limited to 2x the projected KV bytes + 128 MiB%n%n", equalBatch, PROMPT + NEW);
            System.out.println("| mode | KV bytes (stores' bytes()) | peak RSS MiB |");
            System.out.println("|---|---|---|");
            long[] rss = new long[MODES.length];
            String[] floor = childRun(KvMode.FP16, 0, 0, dir, threads, 0);
            System.out.printf(Locale.ROOT, "| (no cache: JVM, weights, one step) | 0 | %d |%n", Long.parseLong(floor[1]) >> 10);
            for (int m = 0; m < MODES.length; m++) {
                long projected = equalBatch * KvProjection.UPPER_BOUND.bytes(KvCacheSettings.defaults(MODES[m]), c, PROMPT + NEW);
                String[] r = childRun(MODES[m], equalBatch, PROMPT + NEW, dir, threads, projected);
                rss[m] = Long.parseLong(r[1]);
                System.out.printf(Locale.ROOT, "| %s | %,d | %d |%n", MODES[m].flag(), Long.parseLong(r[0]), rss[m] >> 10);
            }
            System.out.printf(Locale.ROOT, "%nfp16 / akvq peak memory: %.2fx (paper: 2.13x)%n%n", (double) rss[fp16] / rss[akvq]);
            }

            // 3. Decode step time at depth.
            if (tables.contains("depth")) {
            int[] depths = {512, 2048, 4096}, batches = {1, 4};
            System.out.println("Decode step at depth: ms per step (the whole batch), synthetic caches");
            System.out.println();
            StringBuilder head = new StringBuilder("| mode | batch |");
            for (int d : depths) head.append(" ").append(d).append(" tokens |");
            System.out.println(head);
            System.out.println("|---|---|" + "---|".repeat(depths.length));
            for (KvMode mode : MODES) {
                KvCacheSettings kv = KvCacheSettings.defaults(mode);
                for (int b : batches) {
                    StringBuilder row = new StringBuilder("| " + mode.flag() + " | " + b + " |");
                    List<SyntheticSequence> seqs = fill(decoder, kv, b, depths[0], 2);
                    for (int i = 0; i < depths.length; i++) {
                        if (i > 0) for (SyntheticSequence s : seqs) s.extend(depths[i]);
                        row.append(String.format(Locale.ROOT, " %.1f |", stepMillis(decoder, seqs, 4)));
                    }
                    System.out.println(row);
                    seqs.clear();
                    System.gc();
                }
            }
            System.out.println();
            }

            // 4. Aggregate tokens/s against batch size for akvq, with its bound.
            if (tables.contains("scaling")) {
            KvCacheSettings kv = KvCacheSettings.defaults(KvMode.AKVQ);
            System.out.printf(Locale.ROOT, "akvq aggregate decode at %d tokens against batch size; bound = batch / ((weights + caches) / read"
                    + " bandwidth)%n%n", PROMPT + NEW / 2);
            System.out.println("| batch | tok/s | ms per step | KV bytes read per step | bound tok/s | of bound |");
            System.out.println("|---|---|---|---|---|---|");
            for (int b : new int[] {1, 2, 4, 8, 16}) {
                List<SyntheticSequence> seqs = fill(decoder, kv, b, PROMPT + NEW / 2, 4);
                long cacheBytes = 0;
                for (SyntheticSequence s : seqs) for (KeyValueStore store : s.cache()) cacheBytes += store.bytes();
                double ms = stepMillis(decoder, seqs, 8), tps = b * 1000 / ms;
                double bound = b / ((weightBytes + cacheBytes) / (readGbs * 1e9));
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %,d | %.0f | %.0f%% |%n", b, tps, ms, cacheBytes, bound, 100 * tps / bound);
                seqs.clear();
                System.gc();
            }
            }
        }
        System.out.printf(Locale.ROOT, "%nwhole report: %.0f s; load average at the end: %s%n", (System.nanoTime() - start) / 1e9, loadAverage());
    }

    /** The 1, 5 and 15 minute load averages (the machine may be shared: read every number against them). */
    static String loadAverage() {
        try {
            return String.join(" ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** A request of the report's shape, for the scheduler's projection. */
    static GenerationRequest request(KvCacheSettings kv) {
        return new GenerationRequest("bench", PROMPT, kv, () -> {
            throw new UnsupportedOperationException("projection only");
        }, Sampler.greedy(), new StopCondition(Set.of(), NEW));
    }

    /** Bytes of every matrix a decode step reads: the layers' seven and the (tied) lm_head. */
    static long matrixBytes(TextDecoderConfig c) {
        long h = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        long perLayer = q * h + 2 * kv * h + h * q + 3 * h * c.intermediateSize();
        return 2 * (c.numHiddenLayers() * perLayer + (long) c.vocabSize() * h);
    }

    /** Best of five reads of the whole weights file, split over the pool's threads, in GB/s. */
    static double readBandwidth(Path file, WorkerPool pool) throws IOException {
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long bytes = data.byteSize() & ~255L;
            double best = 0;
            float[] sink = new float[pool.threads()];
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                int parts = pool.threads();
                pool.forRange(parts, (a, b) -> {
                    for (int p = a; p < b; p++) sink[p] += MemoryRead.sum(data, bytes / parts * p & ~255L, bytes / parts * (p + 1) & ~255L);
                });
                best = Math.max(best, bytes / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            if (Float.isNaN(sink[0]) && sink.length > 1e9) System.out.println();   // keeps the reads alive
            return best;
        }
    }

    /** Mean milliseconds of one batched decode step over {@code steps} steps, after two warm-up steps. */
    static double stepMillis(LlamaDecoder decoder, List<SyntheticSequence> seqs, int steps) {
        if (seqs.isEmpty()) return Double.NaN;
        DecoderBatch batch = new DecoderBatch(decoder.config());
        long t0 = 0;
        for (int i = 0; i < steps + 2; i++) {
            if (i == 2) t0 = System.nanoTime();
            batch.clear();
            for (SyntheticSequence s : seqs) s.addTo(batch, 1, 1 + i, true);
            decoder.forwardBatch(batch);
        }
        return (System.nanoTime() - t0) / 1e6 / steps;
    }

    /** {@code count} sequences of {@code kv} with caches filled to {@code depth} tokens. */
    static List<SyntheticSequence> fill(LlamaDecoder decoder, KvCacheSettings kv, int count, int depth, long seed) {
        List<SyntheticSequence> seqs = new ArrayList<>();
        for (int i = 0; i < count; i++) seqs.add(new SyntheticSequence(decoder, kv, depth, new SplittableRandom(seed * 1000 + i)));
        return seqs;
    }

    /** The equal-batch child: fills {@code batch} caches to {@code depth}, runs 4 steps, prints KV bytes and VmHWM (KiB). */
    static void child(KvMode mode, int batch, int depth, Path dir, int threads) throws IOException {
        try (Checkpoint checkpoint = Checkpoint.open(dir); WorkerPool pool = WorkerPool.create(threads)) {
            TextDecoderConfig c = (TextDecoderConfig) dev.akvq.weights.config.ModelConfig.load(dir);
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, c, pool);
            KvCacheSettings kv = KvCacheSettings.defaults(mode);
            List<SyntheticSequence> seqs = fill(decoder, kv, Math.max(batch, 1), Math.max(depth, 1), 9);
            stepMillis(decoder, seqs, 2);
            long bytes = 0;
            for (SyntheticSequence s : seqs) for (KeyValueStore store : s.cache()) bytes += store.bytes();
            String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                    .findFirst().orElse("VmHWM: 0 kB").replaceAll("[^0-9]", "");
            System.out.println((batch == 0 ? 0 : bytes) + " " + hwm);
        }
    }

    /**
     * Runs {@link #child} in a fresh JVM whose heap and off-heap limits are {@code 2 · kvBytes + 128 MiB} each, the
     * same rule for every mode: the stores allocate by doubling, and off-heap segments (FP16 rows, the prompt's FP32
     * copy) are freed only by a GC, which the off-heap limit brings on before the garbage outgrows it.
     */
    static String[] childRun(KvMode mode, int batch, int depth, Path dir, int threads, long kvBytes) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long limitMiB = (2 * kvBytes >> 20) + 128;
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xms16m", "-Xmx" + limitMiB + "m", "-XX:MaxDirectMemorySize=" + limitMiB + "m",
                "-cp", System.getProperty("java.class.path"),
                ThroughputReport.class.getName(), "child", mode.flag(), Integer.toString(batch), Integer.toString(depth),
                dir.toString(), Integer.toString(threads)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0 || out.isEmpty()) throw new IllegalStateException("the " + mode.flag() + " child failed: " + out);
        return out.split(" ");
    }

    /**
     * A sequence whose cache is filled with random post-RoPE keys and values through each store's
     * own prefill path (so pivots, windows and quantization are the store's), then decoded one
     * token per step at the positions that follow.
     */
    static final class SyntheticSequence implements BatchedSequence {
        private final LlamaDecoder decoder;
        private final List<KeyValueStore> cache;
        private final float[] inverseFrequencies;
        private final SplittableRandom random;
        private int position;

        SyntheticSequence(LlamaDecoder base, KvCacheSettings kv, int depth, SplittableRandom random) {
            TextDecoderConfig c = base.config();
            this.decoder = base;   // a rotating store turns values and outputs itself
            this.cache = kv.newCache(c.numHiddenLayers(), c.numKeyValueHeads(), c.headDim());
            this.inverseFrequencies = RopeFrequencies.of(c);
            this.random = random;
            int hidden = c.hiddenSize();
            float[] residual = gaussian(depth * hidden);
            for (KeyValueStore store : cache) store.beginPrefill(residual, depth, hidden);
            append(depth);
            for (KeyValueStore store : cache) store.endPrefill();
        }

        /** Appends decode-path tokens until the cache holds {@code depth}. */
        void extend(int depth) {
            append(depth - position);
        }

        private void append(int tokens) {
            int width = cache.getFirst().kvHeads() * cache.getFirst().headDim(), first = position;
            float[] k = new float[width], v = new float[width];
            for (int t = first; t < first + tokens; t++) {
                double f = (double) t / Math.max(1, first + tokens);
                Modality m = f >= 0.05 && f < 0.85 ? Modality.VISION : Modality.TEXT;
                for (KeyValueStore store : cache) {
                    for (int i = 0; i < width; i++) {
                        k[i] = (float) random.nextGaussian();
                        v[i] = (float) random.nextGaussian();
                    }
                    store.append(k, 0, v, 0, new CachedToken(t, m, false));
                }
                position++;
            }
        }

        private float[] gaussian(int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
            return x;
        }

        @Override
        public LlamaDecoder decoder() {
            return decoder;
        }

        @Override
        public int pendingPromptTokens() {
            return 0;
        }

        @Override
        public int promptTokens() {
            return 0;
        }

        @Override
        public float[] logits() {
            throw new UnsupportedOperationException("a synthetic sequence's logits are in its batch");
        }

        @Override
        public void close() {}

        @Override
        public int addTo(DecoderBatch batch, int n, int token, boolean wantsLogits) {
            int row = batch.addSegment(cache, decoder, 1, wantsLogits), headDim = decoder.config().headDim();
            decoder.embedInto(token, batch.input(), row * decoder.config().hiddenSize());
            batch.setToken(row, new CachedToken(position, Modality.TEXT, true));
            RotaryTables.cosSin(inverseFrequencies, position++, 1f, batch.cos(), batch.sin(), row * headDim);
            return batch.segments() - 1;
        }

        @Override
        public float[] step(int token) {
            throw new UnsupportedOperationException("synthetic sequences run in batches");
        }

        @Override
        public List<KeyValueStore> cache() {
            return cache;
        }

        @Override
        public int length() {
            return position;
        }
    }
}
