package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq batch} through the command line: every request of a mixed JSON-lines file (KV modes,
 * budgets that make requests wait) gets the tokens {@code akvq run} gives it alone, and the
 * goldens' greedy tokens where the fixture has them; bad lines get error records and the run goes
 * on; a rerun skips what is written.
 */
class BatchCommandTest {

    static String ids(long[] ids) {
        return Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    static Map<String, JsonObject> results(Path out) throws IOException {
        Map<String, JsonObject> byId = new HashMap<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            JsonObject o = Json.parseObject(line, out.toString());
            byId.put(o.optString("id").orElse("line " + o.optInt("line").orElse(-1)), o);
        }
        return byId;
    }

    static String tokens(JsonObject result) {
        return result.requireArray("token_ids").elements().stream().map(v -> ((dev.akvq.weights.json.JsonNumber) v).text()).collect(Collectors.joining(" "));
    }

    /** {@code akvq run}'s greedy ids for the same request, as it prints them (space-separated). */
    static String runIds(String model, String promptIds, List<String> images, String kv, int maxNew) {
        List<String> args = new ArrayList<>(List.of("run", "--model", model, "--prompt-ids", promptIds, "--max-new-tokens",
                Integer.toString(maxNew), "--threads", "2"));
        for (String image : images) args.addAll(List.of("--image", image));
        args.addAll(Arrays.asList(("--kv " + kv).split(" ")));
        var r = Cli.akvq(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        return r.out().strip();
    }

    @Test
    void textRequestsInEveryModeGetTheirTokensAloneAndBadLinesGetErrors(@TempDir Path tmp) throws IOException {
        String model = Fixtures.model("llama").toString();
        long[] prompt, expected;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model("llama").resolve("goldens.safetensors"))) {
            prompt = golden.require("input_ids").toLongArray();
            expected = golden.require("decode_tokens").toLongArray();
        }
        String[] kvs = {"fp16", "rtn2", "kivi2", "akvq --kv-window 4 --kv-pivots 2", "akvq --kv-window 0 --kv-rotation off"};
        List<String> lines = new ArrayList<>();
        lines.add("{\"id\": \"golden\", \"prompt_ids\": " + ids(prompt) + ", \"max_new_tokens\": 8}");
        for (int i = 0; i < kvs.length; i++) {
            lines.add("{\"id\": \"m" + i + "\", \"prompt_ids\": " + ids(Arrays.copyOf(prompt, 3 + 7 * i)) + ", \"max_new_tokens\": "
                    + (4 + i) + ", \"kv\": \"" + kvs[i] + "\"}");
        }
        lines.add("{\"id\": \"bad-kv\", \"prompt_ids\": [1, 2], \"kv\": \"int3\"}");
        lines.add("{\"prompt_ids\": [1, 2]}");
        lines.add("{\"id\": \"outside\", \"prompt_ids\": [1, 512]}");
        lines.add("{\"id\": \"huge\", \"prompt_ids\": [1, 2], \"max_new_tokens\": 600}");
        lines.add("[1, 2]");
        Path in = tmp.resolve("in.jsonl"), out = tmp.resolve("out.jsonl");
        Files.write(in, lines);
        // 24 KiB holds about 3 of these requests at fp32: the others wait for room.
        var r = Cli.akvq("batch", "--model", model, "--requests", in.toString(), "--out", out.toString(), "--kv-budget", "24KiB",
                "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("11/11 done, 0 running, 0 queued"), r.err());
        Map<String, JsonObject> res = results(out);
        assertEquals(11, res.size(), res.keySet().toString());
        assertEquals(Arrays.stream(expected).mapToObj(Long::toString).collect(Collectors.joining(" ")), tokens(res.get("golden")));
        assertEquals("length", res.get("golden").requireString("finish_reason"));
        assertEquals(prompt.length, res.get("golden").requireInt("prompt_tokens"));
        for (int i = 0; i < kvs.length; i++) {
            String promptIds = Arrays.stream(Arrays.copyOf(prompt, 3 + 7 * i)).mapToObj(Long::toString).collect(Collectors.joining(","));
            assertEquals(runIds(model, promptIds, List.of(), kvs[i], 4 + i), tokens(res.get("m" + i)), kvs[i]);
            assertTrue(res.get("m" + i).requireLong("kv_bytes") > 0);
        }
        assertTrue(res.get("bad-kv").requireString("error").contains("\"kv\": --kv: unknown KV mode \"int3\""), res.toString());
        assertEquals(7, res.get("bad-kv").requireInt("line"));
        assertEquals("\"id\": a string is required", res.get("line 8").requireString("error"));
        assertTrue(res.get("outside").requireString("error").contains("token id 512"), res.get("outside").toString());
        assertTrue(res.get("huge").requireString("error").contains("exceed max_position_embeddings 512"), res.get("huge").toString());
        assertTrue(res.get("line 11").requireString("error").contains("expected a JSON object"), res.toString());

        // A rerun after a crash mid-line: the partial line is dropped, finished ids are skipped, the rest runs again.
        List<String> written = Files.readAllLines(out);
        String golden = written.stream().filter(l -> l.contains("\"golden\"")).findFirst().orElseThrow();
        List<String> kept = written.stream().filter(l -> !l.contains("\"m0\"")).collect(Collectors.toList());
        Files.writeString(out, String.join("\n", kept) + "\n" + "{\"id\": \"m0\", \"text\": nu");
        var again = Cli.akvq("batch", "--model", model, "--requests", in.toString(), "--out", out.toString(), "--kv-budget", "24KiB");
        assertEquals(0, again.status(), again.err());
        List<String> after = Files.readAllLines(out);
        assertEquals(11, after.size(), String.join("\n", after));
        assertEquals(1, after.stream().filter(l -> l.contains("\"m0\"")).count());
        assertTrue(after.contains(golden));
        assertFalse(after.stream().anyMatch(l -> l.endsWith("nu")));
    }

    @Test
    void llavaShapesRequestsWithImagesAndMixedModesGetTheirTokensAlone(@TempDir Path tmp) throws IOException {
        Path model = Fixtures.model("llava-shapes"), set = model.resolve("eval_single");
        List<String> rows = Files.readAllLines(set.resolve("prompts.jsonl")).subList(0, 5);
        String[] kvs = {"fp32", "akvq", "kivi2", "rtn2 --kv-rotation on", "akvq --kv-window 8"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonObject row = Json.parseObject(rows.get(i), "prompts.jsonl");
            String images = row.requireArray("images").elements().stream()
                    .map(v -> Json.quote(set.resolve(((dev.akvq.weights.json.JsonString) v).value()).toString()))
                    .collect(Collectors.joining(", ", "[", "]"));
            lines.add("{\"id\": " + Json.quote(row.requireString("id")) + ", \"prompt\": " + Json.quote(row.requireString("prompt"))
                    + ", \"images\": " + images + ", \"max_new_tokens\": 12, \"kv\": \"" + kvs[i] + "\"}");
        }
        Path in = tmp.resolve("in.jsonl"), out = tmp.resolve("out.jsonl");
        Files.write(in, lines);
        var r = Cli.akvq("batch", "--model", model.toString(), "--requests", in.toString(), "--out", out.toString(), "--kv-budget",
                "2MiB", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        Map<String, JsonObject> res = results(out);
        for (int i = 0; i < rows.size(); i++) {
            JsonObject row = Json.parseObject(rows.get(i), "prompts.jsonl");
            JsonObject result = res.get(row.requireString("id"));
            assertEquals(row.requireArray("input_ids").size(), result.requireInt("prompt_tokens"));
            String promptIds = row.requireArray("input_ids").elements().stream().map(v -> ((dev.akvq.weights.json.JsonNumber) v).text()).collect(Collectors.joining(","));
            List<String> images = row.requireArray("images").elements().stream()
                    .map(v -> set.resolve(((dev.akvq.weights.json.JsonString) v).value()).toString()).toList();
            assertEquals(runIds(model.toString(), promptIds, images, kvs[i], 12), tokens(result), kvs[i]);
            if (kvs[i].equals("fp32")) {
                String reference = row.requireObject("fp32").requireArray("generated_ids").elements().stream()
                        .map(v -> ((dev.akvq.weights.json.JsonNumber) v).text()).collect(Collectors.joining(" "));
                assertEquals(reference, tokens(result), "the eval set's fp32 generated_ids");
                assertEquals("stop", result.requireString("finish_reason"));
            }
        }
    }

    @Test
    void visionFixturesGiveTheGoldenTokens(@TempDir Path tmp) throws IOException {
        for (String family : List.of("llava", "idefics3", "qwen2vl")) {
            Path model = Fixtures.model(family);
            long[] prompt, expected;
            try (SafetensorsFile golden = SafetensorsFile.open(model.resolve("goldens.safetensors"))) {
                prompt = golden.require("input_ids").toLongArray();
                expected = golden.require("decode_tokens").toLongArray();
            }
            String image = Json.quote(model.resolve("image.png").toString());
            Path in = tmp.resolve(family + ".jsonl"), out = tmp.resolve(family + "-out.jsonl");
            Files.write(in, List.of(
                    "{\"id\": \"fp32\", \"prompt_ids\": " + ids(prompt) + ", \"images\": [" + image + "], \"max_new_tokens\": 8}",
                    "{\"id\": \"akvq\", \"prompt_ids\": " + ids(prompt) + ", \"images\": [" + image + "], \"max_new_tokens\": 8,"
                            + " \"kv\": \"akvq --kv-window 4\"}",
                    "{\"id\": \"no-image\", \"prompt_ids\": " + ids(prompt) + ", \"max_new_tokens\": 8}"));
            var r = Cli.akvq("batch", "--model", model.toString(), "--requests", in.toString(), "--out", out.toString(), "--threads", "2");
            assertEquals(0, r.status(), r.err());
            Map<String, JsonObject> res = results(out);
            assertEquals(Arrays.stream(expected).mapToObj(Long::toString).collect(Collectors.joining(" ")), tokens(res.get("fp32")), family);
            String promptIds = Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(","));
            assertEquals(runIds(model.toString(), promptIds, List.of(model.resolve("image.png").toString()), "akvq --kv-window 4", 8),
                    tokens(res.get("akvq")), family);
            assertTrue(res.get("no-image").optString("error").isPresent(), family + ": " + res.get("no-image"));
        }
    }
}
