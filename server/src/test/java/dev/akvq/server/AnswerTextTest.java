package dev.akvq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.json.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stop strings: cut before the first, never a part of one released, everything else released by the end. */
class AnswerTextTest {
    /** One token per character of "abcd XY", ids in that order; special token <s> is 7. */
    private static final Tokenizer LETTERS = Tokenizer.fromJson(Json.parseObject("""
            {"added_tokens": [{"id": 7, "content": "<s>", "special": true, "normalized": false}],
             "decoder": {"type": "Fuse"},
             "model": {"type": "BPE", "merges": [], "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, " ": 4, "X": 5, "Y": 6}}}
            """, "letters"));

    private static List<String> run(List<String> stops, int... ids) {
        AnswerText text = new AnswerText(LETTERS, stops);
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(text.push(id));
            if (text.stopped()) break;
        }
        out.add(text.finish());
        return out;
    }

    @Test
    void withoutStopsEveryTokenIsReleasedAtOnceAndSpecialTokensAreSkipped() {
        assertEquals(List.of("a", "b", "", " ", ""), run(List.of(), 0, 1, 7, 4));
    }

    @Test
    void aStopStringEndsTheAnswerAndIsNotIncluded() {
        // "ab XYc": held from ' ' (it may start " X"), cut at " X".
        assertEquals(List.of("a", "b", "", "", "", ""), run(List.of(" XY"), 0, 1, 4, 5, 6, 2));   // 5 pushes up to Y, then finish
        AnswerText text = new AnswerText(LETTERS, List.of(" XY"));
        for (int id : new int[] {0, 1, 4, 5, 6}) text.push(id);
        assertTrue(text.stopped());
        assertEquals("", text.push(2));
    }

    @Test
    void heldTextThatNeverBecomesAStopIsReleased() {
        List<String> out = run(List.of(" XY"), 0, 4, 5, 2);   // "a Xc": " X" held, then released with c
        assertEquals("a Xc", String.join("", out));
        assertEquals(List.of("a", "", "", " Xc", ""), out);
        List<String> end = run(List.of(" XY"), 0, 4, 5);   // ends while " X" is held: finish releases it
        assertEquals(List.of("a", "", "", " X"), end);
        assertFalse(new AnswerText(LETTERS, List.of("Y")).stopped());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        assertEquals("ab", String.join("", run(List.of("d", "c"), 0, 1, 2, 3)));
        assertEquals("", String.join("", run(List.of("a"), 0, 1)));
    }
}
