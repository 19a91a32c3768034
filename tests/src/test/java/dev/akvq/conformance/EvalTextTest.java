package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.eval.PromptSetEval;
import dev.akvq.model.eval.TextPerplexity;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code akvq eval --text}: every fixture scores a text in small overlapping windows (FP32 against
 * itself has KL 0 exactly, every token but the first is scored once, a 2-bit cache moves the
 * distribution); FP32's NLL equals an independent twin (one full forward per window with the
 * logits of every position, the scored positions picked by hand); the windows cover the text as
 * Hugging Face's strided loop does; bad input exits with one line naming the flag or file.
 */
class EvalTextTest {
    /** Text fixtures without tokenizer.json get ids in [1, 500): below every special and image token of the tiny configs. */
    static int[] ids(int n) {
        return IntStream.range(0, n).map(i -> 1 + (int) ((i * 2654435761L + 12345) % 499)).toArray();
    }

    static Path idsFile(Path dir, int n) throws IOException {
        return Files.writeString(dir.resolve("ids.txt"), Arrays.stream(ids(n)).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
    }

    /** In-distribution text for llava-shapes: the reference answers of its eval set, one per line. */
    static Path shapesText(Path dir) throws IOException {
        String text = Files.readAllLines(EvalCommandTest.SET).stream().limit(12)
                .map(line -> dev.akvq.weights.json.Json.parseObject(line, "set").requireString("prompt").replaceAll("Image \\d+: <image>\\n", "")
                        + dev.akvq.weights.json.Json.parseObject(line, "set").requireString("answer_text"))
                .collect(Collectors.joining("\n"));
        return Files.writeString(dir.resolve("text.txt"), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llava", "idefics3", "qwen2vl", "llava-shapes", "llava-shapes-outliers"})
    void everyFixtureScoresATextInOverlappingWindows(String fixture, @TempDir Path tmp) throws IOException {
        Path dir = fixture.equals("llava-shapes-outliers") ? OutliersModel.directory() : Fixtures.model(fixture);
        boolean text = Files.exists(dir.resolve("tokenizer.json"));
        Path input = text ? shapesText(tmp) : idsFile(tmp, 40);
        Cli.Result r = Cli.akvq("eval", "--model", dir.toString(), text ? "--text" : "--text-ids", input.toString(), "--window", "16",
                "--stride", "12", "--max-tokens", "40", "--kv", "fp32,rtn2", "--json", "--threads", "1");
        assertEquals(0, r.status(), r.err() + r.out());
        JsonObject json = EvalCommandTest.lastJsonLine(r.out());
        assertEquals(40, json.requireInt("tokens"));
        assertEquals(3, json.requireInt("windows"), "windows [0, 16), [12, 28), [24, 40): the last reaches the end");
        JsonArray modes = json.requireArray("modes");
        JsonObject fp32 = (JsonObject) modes.get(0), rtn2 = (JsonObject) modes.get(1);
        assertEquals(39, fp32.requireInt("tokens_scored"), "every token but the first, once");
        assertEquals(0.0, fp32.requireDouble("kl_vs_fp32"), "fp32 in its own cache against the reference: exactly 0");
        assertEquals(fp32.requireDouble("perplexity"), json.requireDouble("fp32_perplexity"), 0.0);
        assertEquals(Math.exp(fp32.requireDouble("mean_nll")), fp32.requireDouble("perplexity"), 1e-4 * fp32.requireDouble("perplexity"),
                "the JSON prints 6 significant digits");
        assertEquals(32.0, fp32.requireDouble("bits_per_value"));
        assertTrue(rtn2.requireDouble("kl_vs_fp32") > 0, "a 2-bit cache moves the distribution: " + rtn2);
        assertTrue(rtn2.requireDouble("bits_per_value") < 4, rtn2.toString());
        assertTrue(rtn2.requireLong("kv_bytes") * 4 < fp32.requireLong("kv_bytes"), rtn2 + " vs " + fp32);
        assertTrue(r.out().contains("fp32 reference: perplexity"), r.out());
        assertTrue(r.err().contains("akvq eval: window 3/3 (tokens 24-40, 12 scored)"), r.err());
    }

    /**
     * The twin: one prefill of each window's ids with a trace that keeps the logits of every
     * position ({@code logits [1, n, vocab]}); the NLL of token t is read from row t - 1 - begin.
     * It shares no code with the evaluator's step-by-step pass but the model's forward.
     */
    static double twinMeanNll(VisionLanguageModel model, int[] ids, int window, int stride, int shift) {
        double nll = 0;
        int scored = 0;
        for (TextPerplexity.Window w : TextPerplexity.windows(ids.length, window, stride)) {
            float[][] logits = new float[1][];
            Trace keepLogits = new Trace() {
                @Override
                public boolean enabled() {
                    return true;
                }

                @Override
                public void put(String name, float[] data, long... shape) {
                    if (name.equals("logits")) logits[0] = data.clone();
                }
            };
            int[] windowIds = Arrays.copyOfRange(ids, w.begin(), w.end());
            try (TokenSequence s = model.prefill(PromptInput.ids(windowIds), KvCacheSettings.defaults(KvMode.FP32), keepLogits)) {
                int vocab = s.logits().length;
                for (int t = w.scoredFrom(); t < w.end(); t++) {
                    int row = t - 1 - w.begin();
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int v = 0; v < vocab; v++) max = Math.max(max, logits[0][row * vocab + v]);
                    for (int v = 0; v < vocab; v++) sum += Math.exp(logits[0][row * vocab + v] - max);
                    int target = ids[Math.min(ids.length - 1, t + shift)];
                    nll += max + Math.log(sum) - logits[0][row * vocab + target];
                    scored++;
                }
            }
        }
        return nll / scored;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2vl"})
    void fp32NllEqualsAFullForwardTwinAndKlAgainstItselfIsZero(String fixture) {
        int[] ids = ids(30);
        List<PromptSetEval.Mode> modes = List.of(new PromptSetEval.Mode("fp32", KvCacheSettings.defaults(KvMode.FP32)),
                new PromptSetEval.Mode("rtn2", KvCacheSettings.defaults(KvMode.RTN2)));
        try (VisionLanguageModel model = VisionLanguageModel.load(Fixtures.model(fixture), 1)) {
            TextPerplexity.Report report = TextPerplexity.evaluate(model, ids, modes, 12, 8, line -> {}, new AtomicBoolean());
            double twin = twinMeanNll(model, ids, 12, 8, 0);
            assertEquals(29, report.reference().scored());
            assertEquals(twin, report.reference().meanNll(), 1e-5, "step-by-step FP32 against one forward per window");
            assertEquals(report.reference().nllSum(), report.modes().get(0).nllSum(), 0.0, "fp32 in its own cache, bit for bit");
            assertEquals(0.0, report.modes().get(0).klSum());
            assertTrue(report.modes().get(1).klSum() > 0);
            // The twin can fail: scoring each position's next-but-one token is far off.
            assertTrue(Math.abs(twinMeanNll(model, ids, 12, 8, 1) - report.reference().meanNll()) > 1e-2);
        }
    }

    @Test
    void windowsScoreEveryTokenButTheFirstOnceAndStayWithinTheWindow() {
        for (int n = 2; n <= 40; n++) {
            for (int window = 2; window <= 11; window++) {
                for (int stride = 1; stride <= window; stride++) {
                    int[] scored = new int[n];
                    int previousEnd = 0;
                    for (TextPerplexity.Window w : TextPerplexity.windows(n, window, stride)) {
                        String where = n + " tokens, window " + window + ", stride " + stride + ": " + w;
                        assertTrue(w.end() - w.begin() <= window && w.begin() < w.scoredFrom() && w.scoredFrom() < w.end(), where);
                        assertTrue(w.scoredFrom() >= previousEnd, "scores only what the previous window did not: " + where);
                        for (int t = w.scoredFrom(); t < w.end(); t++) scored[t]++;
                        previousEnd = w.end();
                    }
                    // Overlapping windows score every token but the first once; without overlap (Hugging
                    // Face's loop with stride == window) each window's first token has no context and is skipped.
                    for (int t = 0; t < n; t++) {
                        int expected = t == 0 || (stride == window && t % window == 0) ? 0 : 1;
                        assertEquals(expected, scored[t], "token " + t + " of " + n + ", window " + window + ", stride " + stride);
                    }
                }
            }
        }
    }

    @Test
    void badInputExitsWithOneLineNamingTheFlagOrFile(@TempDir Path tmp) throws IOException {
        String llama = Fixtures.model("llama").toString(), shapes = Fixtures.model("llava-shapes").toString();
        Path ids = idsFile(tmp, 600), empty = Files.writeString(tmp.resolve("empty.txt"), " \n"),
                bad = Files.writeString(tmp.resolve("bad.txt"), "1 2 x3 4");
        Cli.Result tooLong = Cli.akvq("eval", "--model", llama, "--text-ids", ids.toString(), "--window", "600");
        assertEquals(2, tooLong.status(), tooLong.err());
        assertTrue(tooLong.err().contains("--window 600 is longer than the model's max_position_embeddings 512"), tooLong.err());
        Cli.Result emptyText = Cli.akvq("eval", "--model", shapes, "--text", empty.toString());
        assertEquals(1, emptyText.status(), emptyText.err());
        assertTrue(emptyText.err().contains(empty + ": the text is empty"), emptyText.err());
        Path marker = Files.writeString(tmp.resolve("marker.txt"), "A text that names the <image> placeholder.");
        Cli.Result image = Cli.akvq("eval", "--model", shapes, "--text", marker.toString(), "--threads", "1");
        assertEquals(1, image.status(), image.err());
        assertTrue(image.err().contains(marker + ": tokens 0-") && image.err().contains("image tokens"), image.err());
        assertTrue(!image.err().contains("akvq eval: window 1/"), "refused before any window runs: " + image.err());
        Cli.Result badId = Cli.akvq("eval", "--model", llama, "--text-ids", bad.toString());
        assertEquals(1, badId.status(), badId.err());
        assertTrue(badId.err().contains(bad + ": item 3 'x3' is not a token id in [0, 512)"), badId.err());
        Cli.Result noTokenizer = Cli.akvq("eval", "--model", llama, "--text", empty.toString());
        assertEquals(2, noTokenizer.status(), noTokenizer.err());
        assertTrue(noTokenizer.err().contains("give --text-ids FILE"), noTokenizer.err());
        Cli.Result stride = Cli.akvq("eval", "--model", llama, "--text-ids", ids.toString(), "--window", "8", "--stride", "9");
        assertEquals(2, stride.status(), stride.err());
        assertTrue(stride.err().contains("--stride 9 is longer than --window 8"), stride.err());
        Cli.Result mixed = Cli.akvq("eval", "--model", llama, "--text-ids", ids.toString(), "--limit", "3");
        assertEquals(2, mixed.status(), mixed.err());
        assertTrue(mixed.err().contains("--limit belongs to eval --set"), mixed.err());
    }
}
