package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.akvq.tokenizer.Tokenizer;
import java.text.Normalizer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * decode(encode(text)) == text wherever the normalizer is the identity, for random Unicode:
 * every plane, controls, combining marks, emoji (surrogate pairs), and the added tokens' text.
 * Encoding never throws.
 */
class TokenizerRoundTripTest {
    /** Code points weighted toward the interesting ranges; no lone surrogates (they are not text). */
    static Gen<String> texts() {
        Gen<Integer> ascii = integers().between(0, 0x7F);
        Gen<Integer> any = integers().between(0, 0x10FFFF).assuming(c -> c < 0xD800 || c > 0xDFFF);
        Gen<Integer> emoji = integers().between(0x1F300, 0x1FAFF);
        Gen<Integer> combining = integers().between(0x0300, 0x036F);
        Gen<Integer> codePoint = ascii.mix(any, 40).mix(emoji, 20).mix(combining, 10);
        return lists().of(codePoint).ofSizeBetween(0, 60).map(TokenizerRoundTripTest::string)
                .mix(lists().of(integers().between(0, 2)).ofSizeBetween(1, 6).map(TokenizerRoundTripTest::withSpecials), 15);
    }

    static String string(List<Integer> codePoints) {
        StringBuilder s = new StringBuilder();
        codePoints.forEach(s::appendCodePoint);
        return s.toString();
    }

    static String withSpecials(List<Integer> parts) {
        StringBuilder s = new StringBuilder();
        for (int p : parts) s.append(switch (p) { case 0 -> "<|endoftext|>"; case 1 -> " hello  \n"; default -> "é😀"; });
        return s.toString();
    }

    @Test
    void gpt2RoundTripsEveryString() {
        Tokenizer gpt2 = Tokenizer.load(Fixtures.root().resolve("tokenizers/gpt2"));
        qt().withExamples(2000).forAll(texts()).checkAssert(text ->
                assertEquals(text, gpt2.decode(gpt2.encode(text, false), false)));
    }

    @Test
    void qwen3RoundTripsEveryNfcString() {
        Tokenizer qwen3 = Tokenizer.load(Fixtures.root().resolve("tokenizers/qwen3"));
        qt().withExamples(2000).forAll(texts().assuming(t -> Normalizer.isNormalized(t, Normalizer.Form.NFC)))
                .checkAssert(text -> assertEquals(text, qwen3.decode(qwen3.encode(text, false), false)));
    }

    @Test
    void theRoundTripCheckCanFail() {
        Tokenizer gpt2 = Tokenizer.load(Fixtures.root().resolve("tokenizers/gpt2"));
        int[] ids = gpt2.encode("hello world", false);
        ids[ids.length - 1] = ids[0];
        org.junit.jupiter.api.Assertions.assertNotEquals("hello world", gpt2.decode(ids, false));
    }
}
