package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.eval.EvalReport;
import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.eval.PromptSetEval;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code akvq eval --set} reads one JSON-lines format for every family: on the llava, idefics3 and
 * qwen2vl fixtures (a {@link LetterTokenizer} written for each), a row with a prompt in the
 * family's own image markers (its built ids checked against the goldens' input_ids) and a row with
 * input_ids only, both with the fixture's image. FP32's generated ids are what {@code akvq run}
 * generates for the same prompt, their first tokens are the goldens' decode_tokens, the row's
 * answer_text (run's text) is an exact match, and a row without an answer still reports agreement,
 * KL and margin. Bad rows exit 1 naming the file, line and field.
 */
class EvalSetFamiliesTest {
    /** The fixture's golden prompt ids, and its prompt in text with one image marker per image. */
    record Prompt(long[] ids, String text, LetterTokenizer tokenizer) {}

    static Prompt prompt(String family, Path dir) throws IOException {
        long[] ids;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model(family).resolve("goldens.safetensors"))) {
            ids = golden.require("input_ids").toLongArray();
        }
        LetterTokenizer tokenizer;
        String text;
        switch (family) {
            case "llava" -> {      // BOS from the post-processor, then the text with one <image> per image
                tokenizer = new LetterTokenizer(Map.of("<s>", 1, "<image>", 511), "<s>");
                text = collapse(tokenizer.spell(Arrays.copyOfRange(ids, 1, ids.length)), "<image>");
            }
            case "qwen2vl" -> {
                tokenizer = LetterTokenizer.ofFixture("qwen2vl", null, Map.of());
                text = collapse(tokenizer.spell(ids), "<|image_pad|>");
            }
            default -> {           // idefics3: Idefics3Processor expands one <image> into its rows, columns and global image
                tokenizer = LetterTokenizer.ofFixture("idefics3", "<s>", Map.of("<s>", 1));
                String t = tokenizer.spell(Idefics3RunTest.TEXT);
                text = t.substring(0, 4) + "<image>" + t.substring(4, 10) + "<end_of_utterance>\n" + t.substring(10);
            }
        }
        tokenizer.write(dir);
        return new Prompt(ids, text, tokenizer);
    }

    private static String collapse(String text, String marker) {
        while (text.contains(marker + marker)) text = text.replace(marker + marker, marker);
        return text;
    }

    static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava", "idefics3", "qwen2vl"})
    void everyFamilyReadsTheSameRowsAndFp32IsWhatRunGenerates(String family, @TempDir Path tmp) throws IOException {
        Path dir = LetterTokenizer.copyModel(family, tmp);
        Prompt p = prompt(family, dir);
        Path sets = Files.createDirectories(tmp.resolve("set")), image = Files.copy(Fixtures.model(family).resolve("image.png"),
                sets.resolve("picture.png"));
        String idsCsv = Arrays.stream(p.ids()).mapToObj(Long::toString).collect(Collectors.joining(","));
        Cli.Result text = Cli.akvq("run", "--model", dir.toString(), "--image", image.toString(), "--prompt", p.text(), "--no-template",
                "--max-new-tokens", "12", "--temperature", "0", "--threads", "1");
        assertEquals(0, text.status(), text.err());
        Cli.Result ids = Cli.akvq("run", "--model", dir.toString(), "--image", image.toString(), "--prompt-ids", idsCsv,
                "--max-new-tokens", "12", "--temperature", "0", "--threads", "1");
        assertEquals(0, ids.status(), ids.err());
        int[] runIds = Arrays.stream(ids.out().strip().split(" ")).mapToInt(Integer::parseInt).toArray();

        Path set = Files.writeString(sets.resolve("tiny.jsonl"), String.join("\n",
                "{\"id\": \"text\", \"images\": [\"picture.png\"], \"prompt\": " + json(p.text()) + ", \"input_ids\": [" + idsCsv
                        + "], \"answer_text\": " + json(text.out().strip()) + "}",
                "{\"id\": \"ids\", \"images\": [\"picture.png\"], \"input_ids\": [" + idsCsv + "]}") + "\n");
        Cli.Result r = Cli.akvq("eval", "--model", dir.toString(), "--set", set.toString(), "--kv", "fp32,rtn2", "--json", "--threads", "1");
        assertEquals(0, r.status(), r.err() + r.out());
        JsonObject json = EvalCommandTest.lastJsonLine(r.out());
        assertEquals(0, json.requireInt("prompt_mismatches"), "the prompt's ids are the goldens' input_ids: " + r.out());
        assertEquals(1, json.requireInt("answered"), "only the text row has an answer");
        assertEquals(1, json.requireInt("correct"), "fp32 generates run's text: " + r.out());
        assertEquals(1.0, json.requireDouble("agreement_fp32"));
        assertEquals(0.0, json.requireDouble("kl_vs_fp32"));
        assertTrue(Double.isFinite(json.requireDouble("mean_answer_margin")), json.toString());
        JsonObject rtn2 = (JsonObject) json.requireArray("modes").get(1);
        assertTrue(rtn2.requireDouble("kl_vs_fp32") > 0, rtn2.toString());
        assertTrue(r.out().contains("answer") && r.out().lines().anyMatch(l -> l.startsWith("fp32 ") && l.contains(" 1/1 ") && l.contains(" - ")),
                "exact 1/1, no answer word: " + r.out());

        List<EvalRow> rows = EvalRow.read(set, 0);
        EvalReport report;
        try (PromptSetEval eval = new PromptSetEval(dir, 1)) {
            report = eval.evaluate(rows, List.of(new PromptSetEval.Mode("fp32", KvCacheSettings.defaults(KvMode.FP32))), line -> {});
        }
        for (EvalReport.RowAnswers a : report.answers()) assertArrayEquals(runIds, a.perMode()[0], a.row().id() + ": eval's FP32 vs run");
        long[] decode;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model(family).resolve("goldens.safetensors"))) {
            decode = golden.require("decode_tokens").toLongArray();
        }
        for (int i = 0; i < Math.min(decode.length, runIds.length); i++) assertEquals(decode[i], runIds[i], "step " + i + " vs transformers");
    }

    @Test
    void badRowsNameTheFileLineAndField(@TempDir Path tmp) throws IOException {
        Path model = Fixtures.model("llava-shapes");
        String row = "{\"id\": \"a\", \"images\": [\"%s\"], \"prompt\": \"USER: <image>\\nWhat? ASSISTANT:\"%s}";
        Files.copy(model.resolve("eval_single/images/041.png"), tmp.resolve("x.png"));
        for (var c : Map.of("\"colour\": 1", "\"colour\": is not a field of an evaluation row",
                "\"answer_token_index\": 0", "\"answer_token_index\": needs answer_ids", "\"fp32\": {\"ids\": [1]}", "ids\": is not a field of fp32").entrySet()) {
            Path set = Files.writeString(tmp.resolve("set.jsonl"), "\n" + row.formatted("x.png", ", " + c.getKey()) + "\n");
            Cli.Result r = Cli.akvq("eval", "--model", model.toString(), "--set", set.toString());
            assertEquals(1, r.status(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(set + ":2") && r.err().contains(c.getValue()), r.err());
        }
        Path missing = Files.writeString(tmp.resolve("missing.jsonl"), row.formatted("nope.png", "") + "\n");
        Cli.Result r = Cli.akvq("eval", "--model", model.toString(), "--set", missing.toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains(missing + ":1") && r.err().contains("images") && r.err().contains("no such file " + tmp.resolve("nope.png")),
                r.err());
    }
}
