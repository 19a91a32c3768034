package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Merge order, ignore_merges and load errors on a hand-made vocab (models/bpe/model.rs, v0.22). */
class BytePairModelTest {
    private static final String VOCAB = "{\"a\":0,\"b\":1,\"c\":2,\"ab\":3,\"bc\":4,\"abc\":5,\"ca\":6}";

    private static BytePairModel model(String merges, boolean ignoreMerges) {
        return BytePairModel.fromJson(Json.parseObject("{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":" + merges
                + ",\"ignore_merges\":" + ignoreMerges + "}", "model.json"));
    }

    private static List<Integer> encode(BytePairModel m, String word) {
        List<Integer> out = new ArrayList<>();
        m.encodeWord(word, out);
        return out;
    }

    @Test
    void theLowestRankMergesFirstInBothMergeFormats() {
        // "b c" ranks before "a b", so "abc" becomes a + bc, and no merge joins a and bc.
        assertEquals(List.of(0, 4), encode(model("[\"b c\",\"a b\"]", false), "abc"));
        assertEquals(List.of(0, 4), encode(model("[[\"b\",\"c\"],[\"a\",\"b\"]]", false), "abc"));
        assertEquals(List.of(3, 2), encode(model("[\"a b\",\"b c\"]", false), "abc"));
    }

    @Test
    void ignoreMergesTakesAWholeWordFromTheVocab() {
        assertEquals(List.of(5), encode(model("[\"b c\"]", true), "abc"));
        assertEquals(List.of(0, 4), encode(model("[\"b c\"]", false), "abc"));
    }

    @Test
    void aMergeOutsideTheVocabNamesTheFileAndTheMerge() {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> model("[\"a c\"]", false));
        assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("merges")
                && e.getMessage().contains("merge 0"), e.getMessage());
    }

    @Test
    void aMalformedMergeIsRejected() {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> model("[\"a b c\"]", false));
        assertTrue(e.getMessage().contains("expected \"a b\" or [\"a\", \"b\"]"), e.getMessage());
    }

    private static BytePairModel unkModel(String options) {
        return BytePairModel.fromJson(Json.parseObject("{\"type\":\"BPE\",\"vocab\":{\"<unk>\":0,\"a\":1,\"<0xC3>\":2,\"<0xA9>\":3},"
                + "\"merges\":[]," + options + "}", "model.json"));
    }

    @Test
    void unknownCharactersBecomeBytesThenUnkThenNothing() {
        // "é" is C3 A9 in UTF-8; "x" has no byte token, so it falls through to unk.
        assertEquals(List.of(1, 2, 3, 0, 1), encode(unkModel("\"byte_fallback\":true,\"unk_token\":\"<unk>\""), "aéxa"));
        assertEquals(List.of(1, 0, 0, 1), encode(unkModel("\"unk_token\":\"<unk>\""), "aéxa"));
        assertEquals(List.of(1, 0, 1), encode(unkModel("\"unk_token\":\"<unk>\",\"fuse_unk\":true"), "aéxa"));
        assertEquals(List.of(1, 1), encode(unkModel("\"fuse_unk\":true"), "aéxa"));
    }

    @Test
    void anUnkTokenOutsideTheVocabIsRejected() {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> unkModel("\"unk_token\":\"<oov>\""));
        assertTrue(e.getMessage().contains("unk_token") && e.getMessage().contains("<oov>"), e.getMessage());
    }
}
