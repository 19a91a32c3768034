package dev.akvq.conformance;

import dev.akvq.weights.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every KV-cache mode through {@code akvq trace} on every fixture, against the {@code --kv fp32}
 * trace of the same inputs (not the goldens: {@code attn_output.{i}} has no golden, and
 * llava-shapes' goldens keep only the last logits).
 *
 * <p>Each mode is traced twice, with greedy decoding ({@link Fixture#steps}):
 * <ul>
 *   <li>the normal lifecycle: the prompt attends over unquantized K/V (the store's FP32 copy,
 *       dropped at the end of the prefill), so the prompt's outputs are FP32's and only the
 *       decode steps read the cache. This trace gives the bits per value ({@code --kv-stats},
 *       the stores' own footprint after the last step), the decode-logit KL and the greedy
 *       tokens;</li>
 *   <li>{@code --kv-prefill-quantized}: every prompt position attends over the quantized keys and
 *       values of the positions before it (the paper's simulation). This trace gives the
 *       per-layer attention-output error, the prompt-logit KL and a second decode KL.</li>
 * </ul>
 * Metrics: {@code ‖a − a_fp32‖ / ‖a_fp32‖} over the whole prompt of {@code attn_output.{i}} (the
 * o_proj output added to the residual, {@code [1, seq, hidden]}); {@code KL(p_fp32 ‖ p_mode)} in
 * nats of the prompt logits, mean over all prompt positions (image tokens included); the same of
 * {@code decode_logits}, mean over the greedy steps (step 0 is the prompt's last row, step s &gt; 0
 * follows each run's own greedy token s − 1), and over the steps whose history still equals
 * FP32's ("same history": up to and including the first step whose argmax differs).
 *
 * <p>Regenerate the table with {@link KvReportTable} (the README, "Error per fixture").
 */
final class KvFixtureReport {
    private KvFixtureReport() {}

    /**
     * A fixture: the model directory, its inputs (the goldens' own input tensors), their name
     * prefix, and the greedy steps to trace: as many as the goldens' {@code decode_tokens} (the
     * reference's generate() stops at EOS: 6 for llava-shapes case0, whose steps after EOS are
     * off-distribution and swing by up to 17 nats).
     */
    record Fixture(String name, Path model, String prefix, int steps) {
        Path inputs() {
            return model.resolve("goldens.safetensors");
        }
    }

    /** A KV mode: a short name and the {@code akvq trace} flags. */
    record Mode(String name, String flags) {}

    /**
     * One mode on one fixture.
     *
     * @param attentionError     per layer, {@code --kv-prefill-quantized}
     * @param attentionErrorFp   largest over layers, normal lifecycle (the prompt reads unquantized K/V)
     * @param stepKl             KL per decode step, normal lifecycle
     * @param sameHistorySteps   decode steps whose history equals FP32's (1..steps)
     */
    record Row(Mode mode, double bitsPerValue, double[] attentionError, double promptKl, double attentionErrorFp,
               double[] stepKl, int sameHistorySteps, boolean sameTokens, double decodeKlQuantizedPrefill) {
        /** Mean decode KL over all steps. */
        double decodeKl() {
            return decodeKl(stepKl.length);
        }

        /** Mean decode KL over the first {@code steps} steps. */
        double decodeKl(int steps) {
            return Arrays.stream(stepKl, 0, steps).average().orElseThrow();
        }

        double decodeKlSameHistory() {
            return decodeKl(sameHistorySteps);
        }
    }

    /**
     * Decode KL of {@code a} and {@code b} over the steps where both still follow FP32's history,
     * so both are conditioned on the same tokens (a teacher-forced comparison): {@code [a, b, steps]}.
     */
    static double[] decodeKlOnSharedHistory(Row a, Row b) {
        int k = Math.min(a.sameHistorySteps(), b.sameHistorySteps());
        return new double[] {a.decodeKl(k), b.decodeKl(k), k};
    }

    static final String PSA = "--kv-layers llava-1.6-mistral";

    /** The baselines, then AKVQ-VL at its defaults and at windows/pivots small enough for 31-400-token prompts. */
    static final List<Mode> MODES = List.of(
            new Mode("fp16", "--kv fp16"),
            new Mode("rtn2", "--kv rtn2"),
            new Mode("rtn2+rot", "--kv rtn2 --kv-rotation on"),
            new Mode("kivi2", "--kv kivi2"),
            new Mode("akvq", "--kv akvq"),
            new Mode("akvq-w0p0", "--kv akvq --kv-window 0 --kv-pivots 0"),
            new Mode("akvq-w0p2", "--kv akvq --kv-window 0 --kv-pivots 2"),
            new Mode("akvq-w8p2", "--kv akvq --kv-window 8 --kv-pivots 2"),
            new Mode("akvq-w0p2-clip1", "--kv akvq --kv-window 0 --kv-pivots 2 --kv-clip2 1.0"),
            new Mode("psa", "--kv akvq " + PSA),
            new Mode("psa-w0p0", "--kv akvq " + PSA + " --kv-window 0 --kv-pivots 0"),
            new Mode("psa-w0p2", "--kv akvq " + PSA + " --kv-window 0 --kv-pivots 2"),
            new Mode("psa-w8p2", "--kv akvq " + PSA + " --kv-window 8 --kv-pivots 2"),
            new Mode("psa-w0p2-clip1", "--kv akvq " + PSA + " --kv-window 0 --kv-pivots 2 --kv-clip2 1.0"));

    /** The four random-weight F32 fixtures and the two llava-shapes cases. */
    static List<Fixture> fixtures() {
        List<Fixture> all = new ArrayList<>();
        for (String name : List.of("llama", "llava", "idefics3", "qwen2vl")) all.add(fixture(name, Fixtures.model(name), ""));
        for (String c : List.of("case0.", "case1.")) all.add(fixture("llava-shapes " + c.substring(0, 5), Fixtures.model("llava-shapes"), c));
        return all;
    }

    private static Fixture fixture(String name, Path model, String prefix) {
        try (SafetensorsFile goldens = SafetensorsFile.open(model.resolve("goldens.safetensors"))) {
            var tokens = goldens.require(prefix + "decode_tokens");
            return new Fixture(name, model, prefix, (int) tokens.dim(tokens.rank() - 1));
        }
    }

    static Fixture fixture(String name) {
        return fixtures().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no fixture " + name));
    }

    /** The FP32 reference trace of one fixture, read into memory. */
    record Reference(int layers, float[][] attention, float[] logits, float[] decodeLogits, long[] decodeTokens, int vocab) {}

    /** The {@code --kv fp32} trace; its greedy tokens must be the goldens' (else nothing here is a reference). */
    static Reference reference(Fixture f, Path tmp) {
        Path out = tmp.resolve("fp32.safetensors");
        trace(f, "--kv fp32", out, "fp32");
        try (SafetensorsFile t = SafetensorsFile.open(out)) {
            int layers = 0;
            while (t.find("attn_output." + layers).isPresent()) layers++;
            if (layers == 0) throw new IllegalStateException(f.name() + ": the fp32 trace has no attn_output.0");
            float[][] attention = new float[layers][];
            for (int l = 0; l < layers; l++) attention[l] = t.require("attn_output." + l).toFloatArray();
            var logits = t.require("logits");
            int vocab = (int) logits.dim(logits.rank() - 1);
            long[] tokens = t.require("decode_tokens").toLongArray();
            try (SafetensorsFile goldens = SafetensorsFile.open(f.inputs())) {
                long[] expected = goldens.require(f.prefix() + "decode_tokens").toLongArray();
                if (!Arrays.equals(expected, tokens)) {
                    throw new IllegalStateException(f.name() + ": the fp32 trace's greedy tokens " + Arrays.toString(tokens)
                            + " differ from the goldens' " + f.prefix() + "decode_tokens " + Arrays.toString(expected));
                }
            }
            return new Reference(layers, attention, logits.toFloatArray(), t.require("decode_logits").toFloatArray(), tokens, vocab);
        } finally {
            delete(out);
        }
    }

    /** Both traces of one mode against the reference. */
    static Row measure(Fixture f, Reference ref, Mode mode, Path tmp) {
        Path normal = tmp.resolve("normal.safetensors"), quantized = tmp.resolve("quantized.safetensors");
        String err = trace(f, mode.flags() + " --kv-stats", normal, mode.name());
        Matcher bits = Pattern.compile("total .* ([0-9.]+) bits per value").matcher(err);
        if (!bits.find()) throw new IllegalStateException(f.name() + " " + mode.name() + ": no bits per value in --kv-stats: " + err);
        double bpv = Double.parseDouble(bits.group(1));
        double fpError = 0;
        double[] stepKl;
        int same;
        boolean sameTokens;
        try (SafetensorsFile t = SafetensorsFile.open(normal)) {
            for (int l = 0; l < ref.layers(); l++) {
                fpError = Math.max(fpError, KvModeReport.relativeError(ref.attention()[l], t.require("attn_output." + l).toFloatArray()));
            }
            float[] steps = t.require("decode_logits").toFloatArray();
            long[] tokens = t.require("decode_tokens").toLongArray();
            stepKl = new double[f.steps()];
            for (int s = 0; s < f.steps(); s++) {
                int from = s * ref.vocab(), to = from + ref.vocab();
                stepKl[s] = KvModeReport.meanKl(Arrays.copyOfRange(ref.decodeLogits(), from, to), Arrays.copyOfRange(steps, from, to),
                        ref.vocab());
            }
            same = sameHistorySteps(ref.decodeTokens(), tokens);
            sameTokens = Arrays.equals(ref.decodeTokens(), tokens);
        } finally {
            delete(normal);
        }
        // dense stores read no such setting (the flag is refused for them): their prompt attends over what they store anyway
        boolean dense = mode.flags().contains("--kv fp32") || mode.flags().contains("--kv fp16");
        trace(f, mode.flags() + (dense ? "" : " --kv-prefill-quantized"), quantized, mode.name());
        try (SafetensorsFile t = SafetensorsFile.open(quantized)) {
            double[] error = new double[ref.layers()];
            for (int l = 0; l < ref.layers(); l++) {
                error[l] = KvModeReport.relativeError(ref.attention()[l], t.require("attn_output." + l).toFloatArray());
            }
            double promptKl = KvModeReport.meanKl(ref.logits(), t.require("logits").toFloatArray(), ref.vocab());
            double quantizedDecodeKl = KvModeReport.meanKl(ref.decodeLogits(), t.require("decode_logits").toFloatArray(), ref.vocab());
            return new Row(mode, bpv, error, promptKl, fpError, stepKl, same, sameTokens, quantizedDecodeKl);
        } finally {
            delete(quantized);
        }
    }

    /** Steps 0..k-1 whose inputs (the greedy tokens before them) equal FP32's: 1 + the common prefix, at most all. */
    static int sameHistorySteps(long[] fp32, long[] mode) {
        int k = 0;
        while (k < fp32.length && fp32[k] == mode[k]) k++;
        return Math.min(fp32.length, k + 1);
    }

    /** {@code akvq trace} of the fixture's inputs with {@code flags}; returns stderr. */
    static String trace(Fixture f, String flags, Path out, String what) {
        List<String> args = new ArrayList<>(List.of("trace", "--model", f.model().toString(), "--inputs", f.inputs().toString(),
                "--out", out.toString(), "--decode", String.valueOf(f.steps()), "--threads", "2"));
        if (!f.prefix().isEmpty()) args.addAll(List.of("--prefix", f.prefix()));
        args.addAll(List.of(flags.split(" ")));
        var r = Cli.akvq(args.toArray(String[]::new));
        if (r.status() != 0) throw new IllegalStateException(f.name() + " " + what + ": akvq " + String.join(" ", args) + " failed: " + r.err());
        return r.err();
    }

    static Row find(List<Row> rows, String name) {
        return rows.stream().filter(r -> r.mode().name().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no mode " + name));
    }

    /** One fixture's markdown table. */
    static String format(Fixture f, List<Row> rows) {
        int layers = rows.getFirst().attentionError().length;
        StringBuilder b = new StringBuilder("| mode | flags | bits/value |");
        for (int l = 0; l < layers; l++) b.append(" attn ").append(l).append(" |");
        b.append(" prompt KL | decode KL (" + f.steps() + " steps) | decode KL, same history (steps) | greedy = fp32"
                + " | decode KL, quantized prompt |"
                + " attn, unquantized prompt |\n|---|---|---|");
        b.append("---|".repeat(layers)).append("---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | `%s` | %.3f |", r.mode().name(), r.mode().flags(), r.bitsPerValue()));
            for (double e : r.attentionError()) b.append(String.format(Locale.ROOT, " %.3e |", e));
            b.append(String.format(Locale.ROOT, " %.3e | %.3e | %.3e (%d) | %s | %.3e | %.1e |%n", r.promptKl(), r.decodeKl(),
                    r.decodeKlSameHistory(), r.sameHistorySteps(), r.sameTokens() ? "yes" : "no", r.decodeKlQuantizedPrefill(),
                    r.attentionErrorFp()));
        }
        return b.toString();
    }

    /** AKVQ-VL modes within this many bits per value of RTN-2's count as "comparable bits". */
    static final double COMPARABLE_BITS = 1.0;

    /** The akvq modes at comparable bits against rtn2: header + one markdown row each. */
    static String comparison(Fixture f, List<Row> rows) {
        Row rtn2 = find(rows, "rtn2");
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            if (!r.mode().flags().startsWith("--kv akvq") || r.bitsPerValue() > rtn2.bitsPerValue() + COMPARABLE_BITS) continue;
            double[] d = decodeKlOnSharedHistory(r, rtn2);
            int below = 0;
            for (int l = 0; l < r.attentionError().length; l++) if (r.attentionError()[l] < rtn2.attentionError()[l]) below++;
            List<String> holds = new ArrayList<>();
            if (d[0] < d[1]) holds.add("decode KL");
            if (r.promptKl() < rtn2.promptKl()) holds.add("prompt KL");
            if (below == r.attentionError().length) holds.add("attn every layer");
            b.append(String.format(Locale.ROOT, "| %s | %s | %.3f vs %.3f | %.3e vs %.3e (%d) | %.3e vs %.3e | %d of %d | %s |%n",
                    f.name(), r.mode().name(), r.bitsPerValue(), rtn2.bitsPerValue(), d[0], d[1], (int) d[2], r.promptKl(),
                    rtn2.promptKl(), below, r.attentionError().length, holds.isEmpty() ? "none" : String.join(", ", holds)));
        }
        return b.toString();
    }

    static final String COMPARISON_HEADER = "| fixture | akvq mode | bits/value, akvq vs rtn2 | decode KL on FP32's history, akvq vs rtn2"
            + " (steps) | prompt KL (quantized prompt), akvq vs rtn2 | layers with attn error below rtn2's | akvq below rtn2 on |\n"
            + "|---|---|---|---|---|---|---|\n";

    static Path tempDirectory() {
        try {
            return Files.createTempDirectory("akvq-kvreport");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
