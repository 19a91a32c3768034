package dev.akvq.bench;

import dev.akvq.cli.Flags;
import dev.akvq.cli.UsageException;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole-command report of issue 13 ({@code ./akvq bench run}): cold {@code ./akvq run}
 * processes on a random Llama-3-shaped BF16 checkpoint ({@link RandomCheckpoint#LLAMA3_374M}),
 * timed over several interleaved runs, and the bounds they are compared with, measured in this
 * process in the same sitting: a plain vector read of the checkpoint's matrix bytes (decode's
 * bound), the FMA peak (prefill's bound), and a warm in-process prefill of the same prompt.
 * Each figure is the median over the runs; each ratio divides two figures of this report.
 *
 * <pre>
 * ./akvq bench run [--model DIR] [--runs 3] [--threads 2] [--long 4000] [--decode 32] [--multihead 16384]
 * </pre>
 *
 * {@code --multihead N} (off by default: two N-token prefills per run take minutes) adds the
 * long-context row: akvq against fp16 decode after an N-token prompt on
 * {@link RandomCheckpoint#MHA_8X1024_32K}, a multi-head shape whose FP16 cache outweighs its
 * weights at 16K tokens, written once next to the default model.
 */
public final class RunReport {
    private RunReport() {}

    /** One cold {@code akvq run}: what it printed and what {@code /usr/bin/time -v} saw. */
    record ColdRun(double prefillTokS, double decodeTokS, double wallS, double warmupS, long peakRssBytes, long kvBytes) {}

    static final ReportCommand COMMAND = new ReportCommand("run", "cold ./akvq run processes (prefill, decode, peak RSS) against bounds", """
            akvq bench run: cold one-shot ./akvq run processes against bounds measured in the same run

            Usage: ./akvq bench run [--model DIR] [--runs N] [--threads N] [--long N] [--decode N] [--multihead N]

            Times cold ./akvq run processes, each under /usr/bin/time -v, interleaved over the runs: 128-,
            512- and --long-token prompts with the fp16 cache and the --long prompt with akvq. Then measures,
            in this process, a plain vector read of the checkpoint's matrices (decode's bound), the FMA peak
            (prefill's bound) and a warm 128-token prefill, and prints each ratio next to its target with
            the machine, date, commit and load average. Medians over the runs.

            Options:
              --model DIR      a Llama-shaped checkpoint (default /tmp/akvq-bench/llama3-374m, random BF16
                               weights written there on first use)
              --runs N         cold runs per row (default 3)
              --threads N      worker threads of every process (default 2)
              --long N         the long prompt's tokens (default 4000)
              --decode N       tokens generated after the 128-token prompt (default 32)
              --multihead N    adds akvq against fp16 decode after an N-token prompt on a multi-head shape
                               (default 0: off; two N-token prefills per run take minutes)

            Examples:
              ./akvq bench run
              ./akvq bench run --runs 3 --threads 2 --long 4000 --decode 32 --multihead 16384
              ./akvq bench run --model /tmp/akvq-bench/llama3-374m --runs 1 --long 1000 --decode 16
            """);

    public static void main(String[] args) {
        COMMAND.main(args, RunReport::report);
    }

    private static void report(String[] args) throws Exception {
        Flags flags = COMMAND.flags(args, "model", "runs", "threads", "long", "decode", "multihead");
        int runs = flags.positiveInt("runs", 3);
        int threads = flags.positiveInt("threads", 2);
        int longPrompt = flags.positiveInt("long", 4000);
        int decode = flags.positiveInt("decode", 32);
        int multihead = ReportCommand.atLeast(flags, "multihead", 0, 0);
        if (multihead + decode > RandomCheckpoint.MHA_8X1024_32K.maxPositions()) {
            throw new UsageException("--multihead " + multihead + " plus --decode " + decode + " exceeds the multi-head shape's "
                    + RandomCheckpoint.MHA_8X1024_32K.maxPositions() + " positions");
        }
        Path home = Path.of(System.getProperty("akvq.home", "."));
        Path model = Path.of(flags.optional("model").orElse(System.getProperty("akvq.bench.dir", "/tmp/akvq-bench") + "/llama3-374m"));
        if (!Files.exists(model.resolve("model.safetensors"))) {
            System.err.println("bench run: writing a random checkpoint to " + model + " (once)...");
            RandomCheckpoint.write(RandomCheckpoint.LLAMA3_374M, model);
        }
        Path mhaModel = model.resolveSibling(RandomCheckpoint.MHA_8X1024_32K.name());
        if (multihead > 0) {
            if (!Files.exists(mhaModel.resolve("model.safetensors"))) {
                System.err.println("bench run: writing a random multi-head checkpoint to " + mhaModel + " (once)...");
                RandomCheckpoint.write(RandomCheckpoint.MHA_8X1024_32K, mhaModel);
            }
        }

        System.out.println("# akvq whole-command report (issue 13)");
        System.out.println("machine: " + machine() + "; JDK " + Runtime.version() + "; " + threads + " threads");
        System.out.println("date: " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                + " UTC; commit " + commit(home) + "; model " + model + "; " + runs + " cold runs per row (median)");
        System.out.println("load average at start: " + loadAverage());

        // Cold processes, interleaved so that a noisy neighbour spreads over every row.
        String[] rows = {"fp16 128", "fp16 512", "fp16 " + longPrompt, "akvq " + longPrompt};
        Map<String, List<ColdRun>> cold = new TreeMap<>();
        for (int r = 0; r < runs; r++) {
            for (String row : rows) {
                String[] p = row.split(" ");
                int prompt = Integer.parseInt(p[1]);
                int newTokens = prompt == 128 ? decode : prompt == 512 ? 2 : Math.max(decode / 2, 8);
                ColdRun run = coldRun(home, model, p[0], prompt, newTokens, threads);
                System.err.printf("bench run: %s run %d: warm-up %.2f s, prefill %.1f tok/s, decode %.2f tok/s, %.1f s, peak RSS %s%n",
                        row, r + 1, run.warmupS, run.prefillTokS, run.decodeTokS, run.wallS, mib(run.peakRssBytes));
                cold.computeIfAbsent(row, k -> new ArrayList<>()).add(run);
            }
            for (String kv : multihead > 0 ? List.of("fp16", "akvq") : List.<String>of()) {
                ColdRun run = coldRun(home, mhaModel, kv, multihead, Math.max(decode / 2, 8), threads);
                System.err.printf("bench run: multi-head %s %d run %d: prefill %.1f tok/s, decode %.2f tok/s, %.1f s, peak RSS %s%n",
                        kv, multihead, r + 1, run.prefillTokS, run.decodeTokS, run.wallS, mib(run.peakRssBytes));
                cold.computeIfAbsent("multihead " + kv, k -> new ArrayList<>()).add(run);
            }
        }

        // Bounds and the warm prompt, in this process, after the cold runs (they leave the weights in the page cache too).
        TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(model);
        double readGbs, fmaGflops, warmPrefill;
        long matrixBytes, layerWeights;
        try (Checkpoint checkpoint = Checkpoint.open(model); WorkerPool pool = WorkerPool.create(threads)) {
            matrixBytes = checkpoint.tensors().stream().filter(t -> t.rank() == 2).mapToLong(WeightTensor::byteSize).sum();
            layerWeights = matrixBytes / 2 - (long) config.vocabSize() * config.hiddenSize();
            readGbs = matrixBytes / (median(timed(7, () -> MemoryRead.sumMatrices(checkpoint, pool))) * 1e9);
            fmaGflops = threads * FmaPeakBench.flopsPerCall() / (median(timed(20, () -> fmaOnEveryThread(pool))) * 1e9);
            LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
            int[] ids = promptIds(128, config.vocabSize());
            Modality[] text = new Modality[ids.length];
            Arrays.fill(text, Modality.TEXT);
            double[] prefillS = timed(8, () -> {
                LlamaSequence s = new LlamaSequence(decoder, KvCacheSettings.defaults(KvMode.FP16));
                s.lastLogits(s.prefill(decoder.embed(ids), text, Trace.NONE), ids.length);
            });
            warmPrefill = 128 / median(Arrays.copyOfRange(prefillS, 3, prefillS.length));
        }
        // 2 FLOP per layer weight per prompt token, the lm_head once (attention over 128 tokens is ~1% of it).
        double warmGflops = warmPrefill * 2.0 * layerWeights / 1e9;

        ColdRun short128 = medianRun(cold.get("fp16 128")), p512 = medianRun(cold.get("fp16 512"));
        ColdRun longFp16 = medianRun(cold.get("fp16 " + longPrompt)), longAkvq = medianRun(cold.get("akvq " + longPrompt));
        double decodeGbs = short128.decodeTokS * matrixBytes / 1e9;
        System.out.printf("bounds: plain vector read of the %.1f MB of matrices %.1f GB/s; FMA peak %.0f GFLOP/s; warm prefill-128 %.1f tok/s (%.0f GFLOP/s)%n",
                matrixBytes / 1e6, readGbs, fmaGflops, warmPrefill, warmGflops);
        System.out.println();
        System.out.println("| measure | value | bound / peer (same run) | ratio | target |");
        System.out.println("|---|---|---|---|---|");
        row("decode BF16, 128-token prompt (fp16 cache)", "%.2f tok/s = %.1f GB/s".formatted(short128.decodeTokS, decodeGbs),
                "read %.1f GB/s".formatted(readGbs), decodeGbs / readGbs, ">= 60%");
        row("prefill 128, cold run vs warm JVM", "%.1f tok/s".formatted(short128.prefillTokS), "warm %.1f tok/s".formatted(warmPrefill),
                short128.prefillTokS / warmPrefill, ">= 70%");
        row("prefill 128, warm, vs FMA peak", "%.0f GFLOP/s".formatted(warmGflops), "peak %.0f GFLOP/s".formatted(fmaGflops),
                warmGflops / fmaGflops, ">= 50%");
        row("prefill " + longPrompt + " vs 512 per token (cold)", "%.1f tok/s".formatted(longFp16.prefillTokS),
                "%.1f tok/s".formatted(p512.prefillTokS), longFp16.prefillTokS / p512.prefillTokS, ">= 70%");
        row("decode at " + longPrompt + ", akvq vs fp16", "%.2f tok/s".formatted(longAkvq.decodeTokS),
                "%.2f tok/s".formatted(longFp16.decodeTokS), longAkvq.decodeTokS / longFp16.decodeTokS, ">= 100%");
        for (ColdRun run : List.of(longFp16, longAkvq)) {
            String mode = run == longFp16 ? "fp16" : "akvq";
            long needed = checkpoint(model) + run.kvBytes + activationBytes(config, longPrompt);
            System.out.printf("| peak RSS, %d-token run, %s | %s | weights+KV+activations %s | %+.0f MiB | <= +300 MiB |%n",
                    longPrompt, mode, mib(run.peakRssBytes), mib(needed), (run.peakRssBytes - needed) / 1048576.0);
        }
        System.out.printf("| peak RSS saved by akvq vs fp16 | %+.0f MiB | KV bytes saved %s | | about equal |%n",
                (longFp16.peakRssBytes - longAkvq.peakRssBytes) / 1048576.0, mib(longFp16.kvBytes - longAkvq.kvBytes));
        if (multihead > 0) {
            ColdRun mhaFp16 = medianRun(cold.get("multihead fp16")), mhaAkvq = medianRun(cold.get("multihead akvq"));
            row("decode at " + multihead + ", multi-head " + RandomCheckpoint.MHA_8X1024_32K.name() + " (fp16 cache "
                            + mib(mhaFp16.kvBytes) + ", weights " + mib(checkpoint(mhaModel)) + "), akvq vs fp16",
                    "%.2f tok/s".formatted(mhaAkvq.decodeTokS), "%.2f tok/s".formatted(mhaFp16.decodeTokS),
                    mhaAkvq.decodeTokS / mhaFp16.decodeTokS, ">= 150%");
        }
        System.out.printf("%ncold wall time of the 128-token run (JVM start to exit): %.2f s, of which the warm-up (kernels compiled) %.2f s;"
                + " spread of decode over runs: %s%n", short128.wallS, short128.warmupS, spread(cold.get("fp16 128")));
    }

    private static void row(String measure, String value, String bound, double ratio, String target) {
        System.out.printf("| %s | %s | %s | %.0f%% | %s |%n", measure, value, bound, 100 * ratio, target);
    }

    /** One {@code ./akvq run} in a fresh JVM, under {@code /usr/bin/time -v} for its peak resident memory. */
    static ColdRun coldRun(Path home, Path model, String kv, int prompt, int newTokens, int threads) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/time"))) command.addAll(List.of("/usr/bin/time", "-v"));
        String ids = join(promptIds(prompt, ((TextDecoderConfig) ModelConfig.load(model)).vocabSize()));
        if (ids.length() >= 131072) {   // Linux's limit on one argument (MAX_ARG_STRLEN)
            throw new IllegalArgumentException("a " + prompt + "-token prompt's ids take " + ids.length()
                    + " characters, over the 128 KiB an argument may hold; use a shorter prompt");
        }
        command.addAll(List.of(home.resolve("akvq").toString(), "run", "--model", model.toString(), "--prompt-ids",
                ids, "--max-new-tokens", Integer.toString(newTokens), "--temperature", "0",
                "--threads", Integer.toString(threads), "--kv", kv));
        Path err = Files.createTempFile("akvq-bench-run", ".err");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        int status = p.waitFor();
        double wall = (System.nanoTime() - start) / 1e9;
        String text = Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(err);
        if (status != 0) throw new IllegalStateException("akvq run exited with " + status + ":\n" + text);
        Matcher m = Pattern.compile("prompt (\\d+) tokens in ([\\d.]+) s .*?; generated (\\d+) tokens in ([\\d.]+) s").matcher(text);
        if (!m.find()) throw new IllegalStateException("no speed line in akvq run's output:\n" + text);
        double prefill = Integer.parseInt(m.group(1)) / Double.parseDouble(m.group(2));
        // The decode timer covers sampling the first token from the prompt's logits and generated - 1 steps.
        double decode = (Integer.parseInt(m.group(3)) - 1) / Double.parseDouble(m.group(4));
        Matcher warmup = Pattern.compile("kernels compiled in ([\\d.]+) s").matcher(text);
        Matcher rss = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)").matcher(text);
        Matcher kvBytes = Pattern.compile("KV cache ([\\d.]+) (B|KiB|MiB|GiB)").matcher(text);
        return new ColdRun(prefill, decode, wall, warmup.find() ? Double.parseDouble(warmup.group(1)) : 0,
                rss.find() ? Long.parseLong(rss.group(1)) * 1024 : -1,
                kvBytes.find() ? (long) (Double.parseDouble(kvBytes.group(1)) * unit(kvBytes.group(2))) : 0);
    }

    private static long unit(String u) {
        return switch (u) {
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            default -> 1;
        };
    }

    /** The forward pass's float buffers for a prompt of {@code n} tokens (LlamaDecoder.forward), plus the last logits. */
    static long activationBytes(TextDecoderConfig c, int n) {
        long q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        long perToken = 4L * c.hiddenSize() + 2 * q + 2 * kv + 2L * c.intermediateSize();
        return 4 * (n * perToken + c.vocabSize());
    }

    private static long checkpoint(Path model) throws IOException {
        try (var files = Files.list(model)) {
            return files.filter(f -> f.toString().endsWith(".safetensors")).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /** Prompt ids spread over the vocabulary (any ids cost the same; these avoid 0..2, the special ids). */
    static int[] promptIds(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 3 + (int) ((i * 7919L) % (vocab - 3));
        return ids;
    }

    private static String join(int[] ids) {
        StringBuilder s = new StringBuilder();
        for (int id : ids) s.append(s.isEmpty() ? "" : ",").append(id);
        return s.toString();
    }

    private static void fmaOnEveryThread(WorkerPool pool) {
        float[] sink = new float[pool.threads()];
        pool.forRange(pool.threads(), (start, end) -> {
            for (int i = start; i < end; i++) sink[i] = new FmaPeakBench().fmaChains();
        });
        if (sink[0] == 12345.678f) System.out.print("");
    }

    /** Seconds of each of {@code n} calls; the first calls include JIT compilation, so callers drop or take medians. */
    private static double[] timed(int n, Runnable body) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            body.run();
            s[i] = (System.nanoTime() - start) / 1e9;
        }
        return s;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The run whose decode speed is the median (its other figures come from the same process). */
    private static ColdRun medianRun(List<ColdRun> runs) {
        List<ColdRun> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.decodeTokS, b.decodeTokS));
        ColdRun mid = sorted.get(sorted.size() / 2);
        double prefill = median(runs.stream().mapToDouble(ColdRun::prefillTokS).toArray());
        return new ColdRun(prefill, mid.decodeTokS, median(runs.stream().mapToDouble(ColdRun::wallS).toArray()),
                median(runs.stream().mapToDouble(ColdRun::warmupS).toArray()),
                (long) median(runs.stream().mapToDouble(ColdRun::peakRssBytes).toArray()), mid.kvBytes);
    }

    private static String spread(List<ColdRun> runs) {
        double min = runs.stream().mapToDouble(ColdRun::decodeTokS).min().orElse(0);
        double max = runs.stream().mapToDouble(ColdRun::decodeTokS).max().orElse(0);
        return "%.2f-%.2f tok/s".formatted(min, max);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "?" : "%.0f MiB".formatted(bytes / 1048576.0);
    }

    private static String machine() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
                }
            }
        } catch (IOException ignored) {
            // not Linux: the OS name below
        }
        return System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String commit(Path home) {
        try {
            Process p = new ProcessBuilder("git", "-C", home.toString(), "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? s : "?";
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
