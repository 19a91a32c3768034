package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast reader gives the same vocab, merges and rest as the JSON parser, and leaves every odd file to it. */
class TokenizerJsonReaderTest {

    static Map<String, Integer> vocabOf(JsonObject root) {
        Map<String, Integer> out = new HashMap<>();
        root.requireObject("model").requireObject("vocab").members().forEach((k, v) -> out.put(k, ((JsonNumber) v).intValueExact().orElseThrow()));
        return out;
    }

    static List<List<String>> mergesOf(JsonObject root) {
        List<List<String>> out = new ArrayList<>();
        for (JsonValue v : root.requireObject("model").requireArray("merges").elements()) {
            if (v instanceof JsonString s) out.add(List.of(s.value().split(" ", -1)));
            else out.add(((JsonArray) v).elements().stream().map(e -> ((JsonString) e).value()).toList());
        }
        return out;
    }

    static TokenizerJsonReader.Parts read(String json) {
        return TokenizerJsonReader.read(json.getBytes(StandardCharsets.UTF_8), "tokenizer.json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3", "llama2"})
    void theFastPathReadsTheFixturesAsTheParserDoes(String name) throws IOException {
        Path file = TokenizerGoldenTest.tokenizerDir(name).resolve("tokenizer.json");
        JsonObject slow = Json.readObjectFile(file);
        TokenizerJsonReader.Parts fast = TokenizerJsonReader.read(Files.readAllBytes(file), file.toString());
        assertNotNull(fast.vocab(), name + ": the fast path gave up");
        assertEquals(vocabOf(slow), fast.vocab());
        assertEquals(mergesOf(slow), fast.merges().stream().map(List::of).toList());
        assertEquals(slow.keys(), fast.root().keys());
        assertEquals(slow.requireArray("added_tokens"), fast.root().requireArray("added_tokens"));
        assertEquals(0, fast.root().requireObject("model").requireObject("vocab").size());
    }

    @Test
    void escapesInTokensAreDecoded() {
        TokenizerJsonReader.Parts p = read("""
                {"model": {"type": "BPE", "vocab": {"\\u0120a": 0, "\\"": 1, "\\\\": 2, "Ġa\\"": 3}, "merges": ["\\u0120a \\""]}, "decoder": {"type": "ByteLevel"}}
                """);
        assertEquals(Map.of("Ġa", 0, "\"", 1, "\\", 2, "Ġa\"", 3), p.vocab());
        assertArrayEquals(new String[] {"Ġa", "\""}, p.merges().get(0));
    }

    @Test
    void aTokenNamedMergesIsNotTakenForTheMergesKey() {
        TokenizerJsonReader.Parts p = read("""
                {"model": {"type": "BPE", "vocab": {"merges": 0, "\\"merges\\": [": 1, "m": 2}, "merges": ["m erges"]},
                 "decoder": {"type": "ByteLevel", "merges": [1]}}
                """);
        assertEquals(Map.of("merges", 0, "\"merges\": [", 1, "m", 2), p.vocab());
        assertArrayEquals(new String[] {"m", "erges"}, p.merges().get(0));
        assertEquals(1, p.root().requireObject("decoder").requireArray("merges").size());
    }

    @Test
    void oddFilesGoToTheParser() {
        // merges before vocab, an id written 1.0, a negative id: the ordinary path reads (or rejects) them
        assertNull(read("{\"model\": {\"merges\": [], \"vocab\": {\"a\": 0}}}").vocab());
        assertNull(read("{\"model\": {\"vocab\": {\"a\": 1.0}, \"merges\": []}}").vocab());
        assertNull(read("{\"model\": {\"vocab\": {\"a\": -1}, \"merges\": []}}").vocab());
        assertEquals(Map.of("a", 0), read("{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": []}}").vocab());
    }

    @Test
    void aDuplicateTokenGetsTheParsersError(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {"a": 0, "a": 1}, "merges": []}}
                """);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("duplicate key \"a\"") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aSyntaxErrorOutsideTheTablesKeepsItsLineAndColumn(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                 "decoder": {"type": "ByteLevel",}}
                """);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json:2:34: trailing comma"), e.getMessage());
    }

    @Test
    void invalidUtf8AndAByteOrderMarkGetTheStrictDecodersErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        byte[] valid = "{\"decoder\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] bad = valid.clone();
        bad[valid.length - 20] = (byte) 0xFF; // in the model object, which the fast path reads
        Files.write(dir.resolve("tokenizer.json"), bad);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("not valid UTF-8") && e.getMessage().contains("byte offset " + (valid.length - 20)), e.getMessage());
        byte[] bom = new byte[valid.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(valid, 0, bom, 3, valid.length);
        Files.write(dir.resolve("tokenizer.json"), bom);
        e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("byte-order mark"), e.getMessage());
        Files.write(dir.resolve("tokenizer.json"), valid);
        assertEquals(1, Tokenizer.load(dir).vocabSize());
    }

    @Test
    void aNegativeIdIsRejectedByName(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}
                """);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("\"model.vocab\": entry \"a\": id -1 is outside"), e.getMessage());
    }
}
