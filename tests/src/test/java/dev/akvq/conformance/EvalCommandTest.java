package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq eval} on the llava-shapes evaluation set: FP32 reproduces the reference's
 * fp32.generated_ids, every prompt we build equals input_ids, the JSON line carries its fields,
 * a row whose input_ids were corrupted is reported as a mismatch and counted as failed, and a
 * corrupted fp32.generated_ids is reported as FP32 disagreeing.
 */
class EvalCommandTest {
    static final Path MODEL = Fixtures.model("llava-shapes");
    static final Path SET = MODEL.resolve("eval").resolve("prompts.jsonl");

    static JsonObject lastJsonLine(String out) {
        String[] lines = out.strip().split("\n");
        return Json.parseObject(lines[lines.length - 1], "eval --json stdout");
    }

    @Test
    void fp32ReproducesTheReferenceAndRtn2IsScored() {
        Cli.Result r = Cli.akvq("eval", "--model", MODEL.toString(), "--set", SET.toString(), "--limit", "20",
                "--kv", "fp32,rtn2", "--json", "--threads", "2");
        assertEquals(0, r.status(), r.err() + r.out());
        JsonObject json = lastJsonLine(r.out());
        for (String field : List.of("correct", "total", "accuracy", "kv_bytes", "bits_per_value", "kl_vs_fp32", "tokens_per_s",
                "answer_accuracy", "agreement_fp32", "mean_answer_margin", "prompt_mismatches")) {
            assertTrue(json.has(field), field + " missing in " + json);
        }
        assertEquals(0, json.requireInt("prompt_mismatches"), r.out());
        assertEquals(0, json.requireInt("fp32_disagreements"), r.out());
        assertEquals("fp32", json.requireString("mode"));
        assertEquals(20, json.requireInt("total"));
        assertEquals(20, json.requireInt("correct"), "fp32 exact match (the reference has 200/200 on this split)");
        assertEquals(1.0, json.requireDouble("agreement_fp32"));
        assertEquals(0.0, json.requireDouble("kl_vs_fp32"));
        assertEquals(32.0, json.requireDouble("bits_per_value"));
        double referenceMargin = referenceAnswerMargin(20);
        assertEquals(referenceMargin, json.requireDouble("mean_answer_margin"), 1e-3, "fp32's margins are the reference's");

        JsonArray modes = json.requireArray("modes");
        assertEquals(2, modes.size());
        JsonObject rtn2 = (JsonObject) modes.get(1);
        assertEquals("rtn2", rtn2.requireString("mode"));
        // 2-bit codes + FP16 scale + signed-byte zero per group of head_dim 32: 2 + 24/32 bits.
        assertEquals(2.75, rtn2.requireDouble("bits_per_value"), 1e-9);
        assertTrue(rtn2.requireDouble("kl_vs_fp32") > 0, "a 2-bit cache changes the distribution: " + rtn2);
        assertTrue(rtn2.requireLong("kv_bytes") * 10 < json.requireLong("kv_bytes"), rtn2 + " vs " + json);
        assertTrue(r.out().contains("prompt mismatches: 0; fp32 differs from fp32.generated_ids on 0 of 20 prompts"), r.out());
    }

    @Test
    void kvStatsAccountForTheSameBytesAsTheJsonLine() {
        Cli.Result r = Cli.akvq("eval", "--model", MODEL.toString(), "--set", SET.toString(), "--limit", "2",
                "--kv", "akvq --kv-window 16", "--kv-stats", "--json", "--threads", "1");
        assertEquals(0, r.status(), r.err() + r.out());
        long total = lastJsonLine(r.out()).requireLong("kv_bytes_total");
        assertTrue(r.err().contains("akvq kv-stats: ") && r.err().contains(", summed over 2 prompts ("), r.err());
        for (int layer = 0; layer < 6; layer++) assertTrue(r.err().contains("  layer " + layer + ": "), r.err());
        // The per-segment table ends with the whole cache's bytes, which must be the JSON's kv_bytes_total.
        String totalLine = r.err().lines().filter(l -> l.strip().startsWith("total ")).findFirst().orElseThrow();
        assertEquals(total, Long.parseLong(totalLine.strip().split("\\s+")[1]), totalLine);
        assertTrue(r.err().contains("int2") && r.err().contains("fp16 window"), r.err());
    }

    @Test
    void corruptedRowsAreReportedAndCountedAsFailed(@TempDir Path tmp) throws IOException {
        List<String> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(SET);
        for (int i = 0; i < 3; i++) {
            JsonObject row = Json.parseObject(lines.get(i), SET + ":" + (i + 1));
            String line = lines.get(i);
            // Absolute image paths: the set file now lives elsewhere.
            JsonArray images = row.requireArray("images");
            for (int k = 0; k < images.size(); k++) {
                String name = ((JsonString) images.get(k)).value();
                line = line.replace("\"" + name + "\"", "\"" + SET.getParent().resolve(name).toAbsolutePath() + "\"");
            }
            // Row 1: one text token of input_ids changed (the 'USER' after BOS). Row 2: the reference's
            // fp32.generated_ids changed (" The" -> id 384), which our FP32 then disagrees with.
            if (i == 1) line = line.replace("\"input_ids\":[50256,29904,", "\"input_ids\":[50256,29905,");
            if (i == 2) line = line.replace("\"fp32\":{\"generated_ids\":[383,", "\"fp32\":{\"generated_ids\":[384,");
            rows.add(line);
        }
        assertTrue(rows.get(1).contains("[50256,29905,"), "the corruption must apply");
        assertTrue(rows.get(2).contains("\"generated_ids\":[384,"), "the corruption must apply");
        Path set = tmp.resolve("corrupted.jsonl");
        Files.write(set, rows);

        Cli.Result r = Cli.akvq("eval", "--model", MODEL.toString(), "--set", set.toString(), "--kv", "rtn2", "--json",
                "--threads", "2");
        assertEquals(1, r.status(), "a failed check exits 1: " + r.err());
        JsonObject json = lastJsonLine(r.out());
        assertEquals(1, json.requireInt("prompt_mismatches"), r.out());
        assertEquals("public-001", ((JsonString) json.requireArray("mismatched_ids").get(0)).value());
        assertEquals(3, json.requireInt("total"));
        assertEquals(2, json.requireInt("correct"), "the mismatched row counts as failed");
        assertEquals(1, json.requireInt("fp32_disagreements"), r.out());
        assertEquals("public-002", ((JsonString) json.requireArray("fp32_disagreeing_ids").get(0)).value());
        assertEquals(1.0 / 3, json.requireDouble("agreement_fp32"), 1e-5, "rtn2 agrees with the (corrupted) reference on row 0 only");
        assertTrue(r.out().contains("prompt mismatch public-001: prompt ids differ from input_ids at index 1: built 329 ids (29904 there)"),
                r.out());
    }

    @Test
    void kvEntriesCarryTheirOwnSettingsOverTheCommandsAndPresetsExpand() {
        Cli.Result r = Cli.akvq("eval", "--model", MODEL.toString(), "--set", MODEL.resolve("eval_single/prompts.jsonl").toString(),
                "--limit", "1", "--kv", "w4=akvq --kv-window 4", "--kv", "ladder", "--kv-window", "8", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("akvq eval: w4             akvq (window 4,"), r.err());
        // The ladder pins every rung's window and clip: the command's --kv-window 8 changes none of them.
        assertTrue(r.err().contains("akvq eval: rtn2           rtn2 (INT2 per token, group 128, clip 1.0) rotation off"), r.err());
        assertTrue(r.err().contains("akvq eval: +rotation      rtn2 (INT2 per token, group 128, clip 1.0) rotation on"), r.err());
        assertTrue(r.err().contains("akvq eval: +tsa           akvq (window 0, pivots 0 by entries, group 128, clip2 1.0,"), r.err());
        assertTrue(r.err().contains("akvq eval: +clip0.8       akvq (window 0, pivots 0 by entries, group 128, clip2 0.8,"), r.err());
        assertTrue(r.err().contains("akvq eval: +pivots        akvq (window 0, pivots 15 by entries, group 128, clip2 0.8,"), r.err());
        assertTrue(r.err().contains("akvq eval: +window        akvq (window 128, pivots 15 by entries, group 128, clip2 0.8,"), r.err());
        assertEquals(8, r.out().strip().split("\n").length - 1, "a header, seven modes (w4 and the six rungs) and the checks line: "
                + r.out());

        Cli.Result twice = Cli.akvq("eval", "--model", MODEL.toString(), "--set", SET.toString(), "--kv", "rtn2,ladder");
        assertEquals(2, twice.status());
        assertTrue(twice.err().contains("--kv: 'rtn2' given twice"), twice.err());
        Cli.Result bad = Cli.akvq("eval", "--model", MODEL.toString(), "--set", SET.toString(), "--kv", "akvq --kv-window x");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--kv-window expects a whole number >= 0, got 'x'"), bad.err());
    }

    /** Mean of fp32.step_top2_margins at answer_token_index over the first {@code n} rows. */
    private static double referenceAnswerMargin(int n) throws RuntimeException {
        try {
            List<String> lines = Files.readAllLines(SET);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                JsonObject row = Json.parseObject(lines.get(i), SET + ":" + (i + 1));
                JsonArray margins = row.requireObject("fp32").requireArray("step_top2_margins");
                sum += ((dev.akvq.weights.json.JsonNumber) margins.get(row.requireInt("answer_token_index"))).doubleValue();
            }
            return sum / n;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
