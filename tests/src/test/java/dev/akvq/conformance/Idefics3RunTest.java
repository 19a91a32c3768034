package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq run --image} on the idefics3 fixture, end to end: image.png through
 * preprocessor_config.json, the prompt expanded and encoded, the vision tower, the merge and 8
 * greedy tokens, which must be the goldens' decode_tokens. The fixture ships no tokenizer.json,
 * so the test writes one whose single letters encode to the golden prompt's text ids and whose
 * added tokens sit at goldens.json's special_tokens ids; "a".."m" spell the 13 text ids, "N".."U"
 * the 8 tokens transformers generated (266 206 9 110 485 495 449 404).
 */
class Idefics3RunTest {
    private static final String TOKENIZER = """
            {"added_tokens": [
               {"id": 1, "content": "<s>", "special": true, "normalized": false},
               {"id": 500, "content": "<image>", "special": true, "normalized": false},
               {"id": 501, "content": "<fake_token_around_image>", "special": true, "normalized": false},
               {"id": 502, "content": "<global-img>", "special": true, "normalized": false},
               {"id": 503, "content": "\\n", "special": true, "normalized": false},
               {"id": 504, "content": "<end_of_utterance>", "special": true, "normalized": false},
               {"id": 505, "content": "<row_1_col_1>", "special": true, "normalized": false},
               {"id": 506, "content": "<row_1_col_2>", "special": true, "normalized": false},
               {"id": 507, "content": "<row_2_col_1>", "special": true, "normalized": false},
               {"id": 508, "content": "<row_2_col_2>", "special": true, "normalized": false}],
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [],
               "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "merges": [], "vocab": {
               "a": 26, "b": 245, "c": 174, "d": 178, "e": 467, "f": 155, "g": 153, "h": 92, "i": 243, "j": 413,
               "k": 299, "l": 286, "m": 259,
               "N": 266, "O": 206, "P": 9, "Q": 110, "R": 485, "S": 495, "T": 449, "U": 404}}}
            """;

    @Test
    void imageAndPromptGiveTheGoldenGreedyTokens(@TempDir Path tmp) throws IOException {
        Path fixture = Fixtures.model("idefics3"), dir = Files.createDirectories(tmp.resolve("idefics3"));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json")) {
            Files.copy(fixture.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER);
        var r = Cli.akvq("run", "--model", dir.toString(), "--image", fixture.resolve("image.png").toString(),
                "--prompt", "abcd<image>efghij<end_of_utterance>\nklm", "--max-new-tokens", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertEquals("NOPQRSTU", r.out().strip(), r.err());
        assertTrue(r.err().contains("prompt 110 tokens"), r.err());
    }

    @Test
    void anImageForATextModelIsABadUsage(@TempDir Path tmp) {
        var r = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--image", "x.png", "--prompt-ids", "1,2");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--image needs a vision family (llava, idefics3 in this build)"), r.err());
    }
}
