package dev.akvq.conformance;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A tokenizer.json for a model fixture that ships none: each id {@link #spell} meets becomes one
 * letter (in order of first appearance), the special tokens are added tokens at their
 * goldens.json ids, and every other id up to the last of them gets a token that text never
 * encodes to (so any generated id decodes). A prompt spelled from golden ids then encodes back
 * to exactly those ids, and the goldens' generated tokens spell the text {@code akvq run} must print.
 */
final class LetterTokenizer {
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private final Map<String, Integer> special;
    private final String bos;
    private final Map<Long, Character> letters = new LinkedHashMap<>();

    /** @param bos the special token the post-processor puts in front, or null for none (Qwen) */
    LetterTokenizer(Map<String, Integer> special, String bos) {
        this.special = special;
        this.bos = bos;
    }

    /** With the special tokens of the fixture's goldens.json (plus {@code extra}, e.g. a BOS the goldens do not list). */
    static LetterTokenizer ofFixture(String model, String bos, Map<String, Integer> extra) {
        JsonObject tokens = Json.readObjectFile(Fixtures.model(model).resolve("goldens.json")).requireObject("special_tokens");
        Map<String, Integer> special = new LinkedHashMap<>(extra);
        for (String k : tokens.keys()) special.put(k, tokens.requireInt(k));
        return new LetterTokenizer(special, bos);
    }

    /** A copy of the fixture's model folder (config, weights, processor) under {@code tmp}, without a tokenizer yet. */
    static Path copyModel(String model, Path tmp) throws IOException {
        Path fixture = Fixtures.model(model), dir = Files.createDirectories(tmp.resolve(model));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json")) {
            Files.copy(fixture.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** The text of {@code ids}: special ids as their content, the others as their letters. */
    String spell(long... ids) {
        StringBuilder s = new StringBuilder();
        for (long id : ids) {
            String content = special.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey).findFirst().orElse(null);
            if (content != null) {
                s.append(content);
                continue;
            }
            if (!letters.containsKey(id)) {
                if (letters.size() == LETTERS.length()) throw new IllegalStateException("more than " + LETTERS.length() + " distinct ids");
                letters.put(id, LETTERS.charAt(letters.size()));
            }
            s.append(letters.get(id));
        }
        return s.toString();
    }

    /**
     * Writes {@code dir/tokenizer.json} with the letters spelled so far; the vocabulary holds the ids
     * up to the last special token (the fixtures' special tokens sit at the top of their vocabularies).
     */
    void write(Path dir) throws IOException {
        int vocabSize = special.values().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;
        StringJoiner added = new StringJoiner(",\n");
        special.forEach((content, id) -> added.add("{\"id\": " + id + ", \"content\": " + quote(content)
                + ", \"special\": true, \"normalized\": false}"));
        StringJoiner vocab = new StringJoiner(", ");
        for (long id = 0; id < vocabSize; id++) {
            if (special.containsValue((int) id)) continue;
            vocab.add(letters.containsKey(id) ? quote(String.valueOf(letters.get(id))) + ": " + id : "\"~" + id + "\": " + id);
        }
        String post = bos == null ? "" : """
                "post_processor": {"type": "TemplateProcessing",
                  "single": [{"SpecialToken": {"id": %1$s, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                  "pair": [], "special_tokens": {%1$s: {"id": %1$s, "ids": [%2$d], "tokens": [%1$s]}}},
                """.formatted(quote(bos), special.get(bos));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"added_tokens\": [" + added + "],\n" + post
                + "\"decoder\": {\"type\": \"ByteLevel\"},\n\"model\": {\"type\": \"BPE\", \"merges\": [], \"vocab\": {" + vocab + "}}}\n");
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
