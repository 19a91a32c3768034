package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;

/**
 * Java Strings are UTF-16 and may hold unpaired surrogates, which the Rust library never sees.
 * Defined behaviour: each lone surrogate is read as U+FFFD before anything else (what Node's and
 * Python's "replace" conversion to UTF-8 gives). Encoding any String never throws.
 */
class LoneSurrogateTest {
    /** Any UTF-16 code units, weighted toward surrogates (lone, paired, reversed) and text around them. */
    static Gen<String> anyUtf16() {
        Gen<Integer> unit = integers().between(0, 0xFFFF)
                .mix(integers().between(0xD800, 0xDFFF), 40)
                .mix(integers().between(0x20, 0x7E), 30);
        return lists().of(unit).ofSizeBetween(0, 30).map(LoneSurrogateTest::string);
    }

    static String string(List<Integer> units) {
        StringBuilder s = new StringBuilder();
        for (int u : units) s.append((char) (int) u);
        return s.toString();
    }

    /** The oracle, by code points: String.codePoints() yields a lone surrogate as its own value. */
    static String replaced(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(c -> out.appendCodePoint(c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c));
        return out.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3", "llama2"})
    void aLoneSurrogateEncodesAsTheReplacementCharacter(String name) {
        Tokenizer t = StreamingDecoderTest.tokenizer(name);
        qt().withExamples(1500).forAll(anyUtf16()).checkAssert(s -> {
            int[] ids = t.encode(s, true);
            assertArrayEquals(t.encode(replaced(s), true), ids, () -> "text " + s.chars().mapToObj(Integer::toHexString).toList());
            t.decode(ids, false);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama2"})
    void examples(String name) {
        Tokenizer t = StreamingDecoderTest.tokenizer(name);
        String pair = "a\uD83D\uDE00b"; // a paired surrogate is one character and stays
        assertEquals(pair, t.decode(t.encode(pair, false), false));
        assertEquals("a\uFFFDb", t.decode(t.encode("a\uD83Db", false), false));
        assertEquals("\uFFFD\uFFFD", t.decode(t.encode("\uDE00\uD83D", false), false)); // reversed: both lone
        assertEquals("x\uFFFD", t.decode(t.encode("x\uD83D", false), false));
    }
}
