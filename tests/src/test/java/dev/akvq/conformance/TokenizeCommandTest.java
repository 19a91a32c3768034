package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code akvq tokenize} over the whole corpus equals Hugging Face tokenizers' ids, with and without special tokens. */
class TokenizeCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3"})
    void everyCorpusLineMatchesTheGoldenIds(String name) throws IOException {
        Path dir = Fixtures.root().resolve("tokenizers");
        Map<String, String> golden = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve(name).resolve("goldens.jsonl"))) {
            JsonObject g = Json.parseObject(line, "goldens.jsonl");
            golden.put(g.requireString("id") + "/" + g.requireBoolean("add_special_tokens"), idsJson(g));
        }
        List<String> ids = corpusIds(dir);
        for (boolean special : new boolean[] {false, true}) {
            Cli.Result r = special
                    ? Cli.akvq("tokenize", "--tokenizer", dir.resolve(name).toString(), "--jsonl", dir.resolve("corpus.jsonl").toString(), "--add-special-tokens")
                    : Cli.akvq("tokenize", "--tokenizer", dir.resolve(name).toString(), "--jsonl", dir.resolve("corpus.jsonl").toString());
            assertEquals(0, r.status(), r.err());
            String[] lines = r.out().split("\n");
            assertEquals(ids.size(), lines.length);
            for (int i = 0; i < lines.length; i++) {
                String expected = golden.get(ids.get(i) + "/" + special);
                assertEquals(expected, idsJson(Json.parseObject(lines[i], "output")), name + " " + ids.get(i) + " special=" + special);
            }
        }
    }

    @Test
    void aLineWithoutTextIsNamed(@TempDir Path tmp) throws IOException {
        Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"text\": \"hi\"}\n{\"txt\": \"x\"}\n");
        Cli.Result r = Cli.akvq("tokenize", "--tokenizer", Fixtures.root().resolve("tokenizers/gpt2").toString(), "--jsonl", input.toString());
        assertEquals(1, r.status());
        assertEquals("{\"ids\": [5303]}\n", r.out());          // line 1 was written before line 2 failed
        assertEquals(List.of("akvq tokenize: error: " + input + " line 2: field \"text\" is missing; expected a string"),
                r.err().lines().toList());
    }

    private static List<String> corpusIds(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("corpus.jsonl")).stream().filter(l -> !l.isBlank())
                .map(l -> Json.parseObject(l, "corpus.jsonl").requireString("id")).toList();
    }

    private static String idsJson(JsonObject o) {
        return o.requireArray("ids").elements().toString();
    }
}
