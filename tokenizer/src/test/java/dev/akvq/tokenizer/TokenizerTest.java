package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hand-made tokenizer.json with a TemplateProcessing post-processor (processors/template.rs,
 * v0.22), which the fixture tokenizers do not use: BOS/EOS only when asked for, added tokens
 * cut out of the text, special tokens dropped by decode only when asked.
 */
class TokenizerTest {
    private static final String JSON = """
            {"added_tokens": [
               {"id": 3, "content": "<s>", "special": true, "normalized": false},
               {"id": 4, "content": "</s>", "special": true, "normalized": false}],
             "normalizer": null,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "</s>", "type_id": 0}}],
               "pair": [],
               "special_tokens": {"<s>": {"id": "<s>", "ids": [3], "tokens": ["<s>"]},
                                  "</s>": {"id": "</s>", "ids": [4], "tokens": ["</s>"]}}},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "hi": 2, "<s>": 3, "</s>": 4}, "merges": ["h i"]}}
            """;

    private final Tokenizer tokenizer = Tokenizer.fromJson(Json.parseObject(JSON, "tokenizer.json"));

    @Test
    void vocabIdsWithGapsAboveTheAddedTokensLoadAndDecode() {
        // ids 2 and 5 are unused; the largest vocab id (9) is above every added token's id (1)
        String json = """
                {"added_tokens": [{"id": 1, "content": "<s>", "special": true, "normalized": false}],
                 "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                 "post_processor": null, "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {"h": 0, "<s>": 1, "i": 3, "hi": 9}, "merges": ["h i"]}}
                """;
        Tokenizer gaps = Tokenizer.fromJson(Json.parseObject(json, "tokenizer.json"));
        assertArrayEquals(new int[] {1, 9}, gaps.encode("<s>hi", false));
        assertEquals("hi", gaps.decode(new int[] {9}, true));
        assertEquals(10, gaps.vocabSize());
    }

    @Test
    void templateAddsSpecialTokensOnlyWhenAsked() {
        assertArrayEquals(new int[] {3, 2, 4}, tokenizer.encode("hi", true));
        assertArrayEquals(new int[] {2}, tokenizer.encode("hi", false));
    }

    @Test
    void addedTokensAreCutOutBeforeTheModel() {
        assertArrayEquals(new int[] {3, 0, 3, 2}, tokenizer.encode("<s>h<s>hi", false));
    }

    @Test
    void decodeDropsSpecialTokensOnlyWhenAsked() {
        assertEquals("<s>hi</s>", tokenizer.decode(new int[] {3, 2, 4}, false));
        assertEquals("hi", tokenizer.decode(new int[] {3, 2, 4}, true));
    }

    @Test
    void aMissingTokenizerJsonNamesThePath(@TempDir Path dir) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void anUnsupportedDecoderIsRejectedByName() {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.fromJson(
                Json.parseObject(JSON.replace("{\"type\": \"ByteLevel\"}", "{\"type\": \"WordPiece\"}"), "tokenizer.json")));
        assertTrue(e.getMessage().contains("decoder.type") && e.getMessage().contains("WordPiece"), e.getMessage());
    }
}
