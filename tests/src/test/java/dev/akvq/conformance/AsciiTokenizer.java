package dev.akvq.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A tokenizer.json for a model fixture that ships none, able to encode any printable ASCII text
 * (a chat template's words included): one token per character at ids 3..97 ({@code \n} at 98
 * unless it is a special token), the special tokens at their given ids, and every other id up to
 * the vocabulary's end a token no text encodes to ("~id"), so whatever a random model generates
 * decodes. Pieces are joined as written (a Fuse decoder).
 */
final class AsciiTokenizer {
    private AsciiTokenizer() {}

    /** Writes {@code dir/tokenizer.json}; {@code bos} (a key of {@code special}, or null) is put in front by the post-processor. */
    static void write(Path dir, int vocabSize, Map<String, Integer> special, String bos) throws IOException {
        Map<Integer, String> byId = new LinkedHashMap<>();
        for (int c = 32; c < 127; c++) byId.put(c - 29, String.valueOf((char) c));
        if (!special.containsKey("\n")) byId.put(98, "\n");
        StringJoiner added = new StringJoiner(",\n");
        special.forEach((content, id) -> added.add("{\"id\": " + id + ", \"content\": " + quote(content)
                + ", \"special\": true, \"normalized\": false}"));
        StringJoiner vocab = new StringJoiner(", ");
        for (int id = 0; id < vocabSize; id++) {
            if (special.containsValue(id)) continue;
            vocab.add(quote(byId.getOrDefault(id, "~" + id)) + ": " + id);
        }
        String post = bos == null ? "" : """
                "post_processor": {"type": "TemplateProcessing",
                  "single": [{"SpecialToken": {"id": %1$s, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                  "pair": [], "special_tokens": {%1$s: {"id": %1$s, "ids": [%2$d], "tokens": [%1$s]}}},
                """.formatted(quote(bos), special.get(bos));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"added_tokens\": [" + added + "],\n" + post
                + "\"decoder\": {\"type\": \"Fuse\"},\n\"model\": {\"type\": \"BPE\", \"merges\": [], \"vocab\": {" + vocab + "}}}\n");
    }

    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                default -> q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
