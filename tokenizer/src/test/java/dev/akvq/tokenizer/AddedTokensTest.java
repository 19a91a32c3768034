package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.tokenizer.AddedTokens.AddedToken;
import dev.akvq.tokenizer.AddedTokens.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The flags the fixture tokenizers leave false. Expected splits follow tokenizers v0.22
 * added_vocabulary.rs ({@code find_matches} and its test {@code lstrip_tokens}).
 */
class AddedTokensTest {

    private static AddedToken token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip) {
        return new AddedToken(id, content, singleWord, lstrip, rstrip, false, true);
    }

    @Test
    void lstripAndRstripTakeTheWhitespaceBesideTheTokenButNotBeforeThePreviousMatch() {
        AddedTokens added = new AddedTokens(List.of(token(0, "<mask>", true, true, true)));
        assertEquals(List.of(new Segment("Hi", -1), new Segment(" <mask> ", 0), new Segment("there", -1),
                        new Segment("\t<mask>\t", 0), new Segment("<mask>\u2000", 0)),
                added.split("Hi <mask> there\t<mask>\t<mask>\u2000", false));
    }

    @Test
    void singleWordSkipsAMatchInsideAWord() {
        AddedTokens added = new AddedTokens(List.of(token(7, "ab", true, false, false)));
        assertEquals(List.of(new Segment("xab ", -1), new Segment("ab", 7), new Segment(" abc", -1)),
                added.split("xab ab abc", false));
    }

    @Test
    void theLongestTokenStartingLeftmostWins() {
        AddedTokens added = new AddedTokens(List.of(token(1, "<a>", false, false, false), token(2, "<a><b>", false, false, false)));
        assertEquals(List.of(new Segment("x", -1), new Segment("<a><b>", 2), new Segment("<a>", 1)),
                added.split("x<a><b><a>", false));
    }

    @Test
    void onlyTokensWithTheAskedNormalizedFlagAreCut() {
        AddedTokens added = new AddedTokens(List.of(new AddedToken(3, "zz", false, false, false, true, false)));
        assertEquals(List.of(new Segment("azzb", -1)), added.split("azzb", false));
        assertEquals(List.of(new Segment("a", -1), new Segment("zz", 3), new Segment("b", -1)), added.split("azzb", true));
    }
}
