package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A broken tokenizer.json fails at load with the file, the field and what was wrong: each case
 * below edits one part of a small valid file (which itself loads, so every failure is the edit's).
 */
class MalformedTokenizerJsonTest {
    private static final String VALID = """
            {"added_tokens": [],
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                 {"type": "Split", "pattern": {"Regex": "\\\\s+"}, "behavior": "Isolated", "invert": false},
                 {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "hi": 2}, "merges": ["h i"]}}
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // what                    | replace                          | with                                  | message names
            "no model                  | `\"model\"`                      | `\"modelx\"`                          | `field \"model\" is missing`",
            "Unigram model             | `\"type\": \"BPE\"`              | `\"type\": \"Unigram\"`               | `\"model.type\": model type \"Unigram\" is not supported`",
            "WordPiece model           | `\"type\": \"BPE\"`              | `\"type\": \"WordPiece\"`             | `\"model.type\": model type \"WordPiece\" is not supported`",
            "WordLevel model           | `\"type\": \"BPE\"`              | `\"type\": \"WordLevel\"`             | `\"model.type\": model type \"WordLevel\" is not supported`",
            "no vocab                  | `\"vocab\"`                      | `\"vocabx\"`                          | `field \"model.vocab\" is missing`",
            "merge outside the vocab   | `[\"h i\"]`                      | `[\"h x\"]`                           | `\"model.merges\": merge 0 (\"h\", \"x\"): a part or the merged token is not in the vocab`",
            "merged token missing      | `\"hi\": 2`                      | `\"ih\": 2`                           | `\"model.merges\": merge 0 (\"h\", \"i\")`",
            "bad regex                 | `\\\\s+`                         | `(\\\\s+`                             | `\"pre_tokenizer.pretokenizers\": element 0: field \"pattern.Regex\": not a valid regular expression`",
            "unknown pre-tokenizer     | `\"type\": \"ByteLevel\", \"add` | `\"type\": \"UnicodeScripts\", \"add` | `element 1: field \"type\": expected ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, CharDelimiterSplit, Punctuation, BertPreTokenizer or Sequence, found \"UnicodeScripts\"`",
            "Metaspace, no replacement | `\"type\": \"ByteLevel\", \"add` | `\"type\": \"Metaspace\", \"add`      | `element 1: field \"replacement\" is missing`",
            "Metaspace, legacy clash   | `\"type\": \"ByteLevel\", \"add_prefix_space\": false` | `\"type\": \"Metaspace\", \"replacement\": \"_\", \"prepend_scheme\": \"first\", \"add_prefix_space\": false` | `element 1: field \"add_prefix_space\": false does not match prepend_scheme \"first\"`",
            "unknown split behavior    | `\"Isolated\"`                   | `\"Merged\"`                          | `element 0: field \"behavior\": expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, found \"Merged\"`",
            "Strip without strip_right | `{\"type\": \"NFC\"}`            | `{\"type\": \"Strip\", \"strip_left\": true}` | `\"normalizer.normalizers\": element 0: field \"strip_right\" is missing`",
            "unknown normalizer        | `{\"type\": \"NFC\"}`            | `{\"type\": \"BertNormalizer\"}`      | `\"normalizer.normalizers\": element 0: field \"type\": expected NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace or Sequence, found \"BertNormalizer\"`",
            "unknown decoder           | `\"decoder\": {\"type\": \"ByteLevel\"}` | `\"decoder\": {\"type\": \"WordPiece\"}` | `\"decoder.type\": expected ByteLevel`",
            "no decoder                | `\"decoder\"`                    | `\"decoderx\"`                        | `field \"decoder\" is missing`",
            "vocab id not an integer   | `\"h\": 0`                       | `\"h\": \"zero\"`                     | `\"model.vocab\": entry \"h\": expected an integer id`"})
    void aBrokenFieldIsNamed(String what, String replace, String with, String expected) {
        assertDoesNotThrow(() -> Tokenizer.fromJson(Json.parseObject(VALID, "tokenizer.json")));
        String broken = VALID.replaceFirst(java.util.regex.Pattern.quote(replace), java.util.regex.Matcher.quoteReplacement(with));
        assertTrue(!broken.equals(VALID), what + ": the edit changed nothing");
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Tokenizer.fromJson(Json.parseObject(broken, "tokenizer.json")));
        assertTrue(e.getMessage().startsWith("tokenizer.json: ") && e.getMessage().contains(expected), what + ": " + e.getMessage());
    }
}
