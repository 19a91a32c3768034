package dev.akvq.conformance;

import dev.akvq.weights.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every KV-cache mode through {@code akvq trace} on the llama fixture, compared with the FP32
 * goldens: per layer the relative error of the layer's output ({@code ‖ours − golden‖ / ‖golden‖}
 * of {@code decoder_layer_out.{i}}), and the mean KL divergence {@code KL(p_fp32 ‖ p_mode)} of the
 * prefill logits over every position, with the bits per cached value the mode held. The prompt
 * attends over the quantized cache ({@code --kv-prefill-quantized}, the paper's simulation), so
 * every position sees the quantized keys and values of the positions before it; without it the
 * prompt's logits would be FP32's. Also the KL of the 8 greedy decode steps (normal lifecycle:
 * prefill over unquantized K/V) and whether the greedy tokens equal FP32's. The prompt is 36
 * tokens, so the window and pivots are shrunk ({@code --kv-window 4 --kv-pivots 2}) to leave most
 * tokens quantized. Run: {@code mvn -o -q -pl tests -am test-compile} then the main, or
 * through {@link KvCacheConformanceTest}. The lead extends it to the VLM fixtures.
 */
public final class KvModeReport {
    private KvModeReport() {}

    /** @param layerError per layer; @param logitKl mean over positions, nats */
    record Row(String name, String flags, double bitsPerValue, double[] layerError, double logitKl, double decodeKl,
               boolean sameTokens) {}

    /** The ablation ladder and the baselines: name, then the trace flags. */
    static final String[][] MODES = {
            {"fp32", "--kv fp32"},
            {"fp16", "--kv fp16"},
            {"rtn2", "--kv rtn2 --kv-prefill-quantized"},
            {"rtn2+wht", "--kv rtn2 --kv-rotation on --kv-prefill-quantized"},
            {"kivi2", "--kv kivi2 --kv-prefill-quantized"},
            {"akvq-tsa", "--kv akvq --kv-window 0 --kv-pivots 0 --kv-prefill-quantized"},
            {"akvq", "--kv akvq --kv-window 4 --kv-pivots 2 --kv-prefill-quantized"},
            {"akvq-psa", "--kv akvq --kv-window 4 --kv-pivots 2 --kv-layers llava-1.6-mistral --kv-prefill-quantized"},
            {"akvq-psa-w0", "--kv akvq --kv-window 0 --kv-pivots 2 --kv-layers llava-1.6-mistral --kv-prefill-quantized"},
    };

    public static void main(String[] args) throws Exception {
        Path tmp = Files.createTempDirectory("akvq-kv-report");
        System.out.println(format(measure(tmp)));
    }

    static List<Row> measure(Path tmp) {
        Path goldens = Fixtures.model("llama").resolve("goldens.safetensors");
        List<Row> rows = new ArrayList<>();
        for (String[] mode : MODES) {
            Path out = tmp.resolve(mode[0] + ".safetensors");
            List<String> args = new ArrayList<>(List.of("trace", "--model", Fixtures.model("llama").toString(), "--inputs",
                    goldens.toString(), "--out", out.toString(), "--kv-stats", "--threads", "2"));
            Path decoded = tmp.resolve(mode[0] + "-decode.safetensors");
            List<String> decodeArgs = new ArrayList<>(List.of("trace", "--model", Fixtures.model("llama").toString(), "--inputs",
                    goldens.toString(), "--out", decoded.toString(), "--decode", "8", "--threads", "2"));
            for (String a : mode[1].split(" ")) if (!a.equals("--kv-prefill-quantized")) decodeArgs.add(a);
            var d = Cli.akvq(decodeArgs.toArray(String[]::new));
            if (d.status() != 0) throw new IllegalStateException(mode[0] + ": akvq trace --decode 8 failed: " + d.err());
            args.addAll(List.of(mode[1].split(" ")));
            var r = Cli.akvq(args.toArray(String[]::new));
            if (r.status() != 0) throw new IllegalStateException(mode[0] + ": akvq trace failed: " + r.err());
            Matcher bits = Pattern.compile("total .* ([0-9.]+) bits per value").matcher(r.err());
            double bpv = bits.find() ? Double.parseDouble(bits.group(1)) : Double.NaN;
            try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out);
                 SafetensorsFile steps = SafetensorsFile.open(decoded)) {
                double[] layerError = new double[2];
                for (int l = 0; l < 2; l++) {
                    layerError[l] = relativeError(golden.require("decoder_layer_out." + l).toFloatArray(),
                            ours.require("decoder_layer_out." + l).toFloatArray());
                }
                double kl = meanKl(golden.require("logits").toFloatArray(), ours.require("logits").toFloatArray(), 512);
                double decodeKl = meanKl(golden.require("decode_logits").toFloatArray(), steps.require("decode_logits").toFloatArray(), 512);
                boolean same = java.util.Arrays.equals(golden.require("decode_tokens").toLongArray(),
                        steps.require("decode_tokens").toLongArray());
                rows.add(new Row(mode[0], mode[1], bpv, layerError, kl, decodeKl, same));
            }
        }
        return rows;
    }

    static Row find(List<Row> rows, String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    static String format(List<Row> rows) {
        StringBuilder b = new StringBuilder("| mode | flags | bits/value | layer 0 rel. error | layer 1 rel. error"
                + " | prompt logit KL | decode logit KL | greedy tokens = fp32 |\n|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | `%s` | %.3f | %.3e | %.3e | %.3e | %.3e | %s |%n", r.name(), r.flags(),
                    r.bitsPerValue(), r.layerError()[0], r.layerError()[1], r.logitKl(), r.decodeKl(), r.sameTokens() ? "yes" : "no"));
        }
        return b.toString();
    }

    static double relativeError(float[] golden, float[] ours) {
        double d = 0, n = 0;
        for (int i = 0; i < golden.length; i++) {
            d += Math.pow((double) ours[i] - golden[i], 2);
            n += (double) golden[i] * golden[i];
        }
        return Math.sqrt(d / n);
    }

    /** Mean over rows of KL(softmax(golden) ‖ softmax(ours)). */
    static double meanKl(float[] golden, float[] ours, int vocab) {
        int rows = golden.length / vocab;
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double[] p = logSoftmax(golden, r * vocab, vocab), q = logSoftmax(ours, r * vocab, vocab);
            double kl = 0;
            for (int i = 0; i < vocab; i++) kl += Math.exp(p[i]) * (p[i] - q[i]);
            total += kl;
        }
        return total / rows;
    }

    private static double[] logSoftmax(float[] x, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[offset + i]);
        for (int i = 0; i < n; i++) sum += Math.exp(x[offset + i] - max);
        double log = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = x[offset + i] - log;
        return out;
    }
}
