package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.quicktheories.core.Gen;

/**
 * Properties of the component tokenizers ({@link ComponentGoldenTest}) beyond the goldens' texts:
 * no text makes encode or decode throw, streaming decode equals decode, and where the pipeline
 * loses nothing, decode gives the text back.
 */
class ComponentPropertiesTest {

    static java.util.stream.Stream<String> cases() {
        return ComponentGoldenTest.cases();
    }

    /** Spaces, the replacement character, digits, punctuation, accents, astral characters and any code unit. */
    static Gen<String> texts() {
        Gen<Integer> unit = integers().between(0, 0xFFFF)
                .mix(integers().between(0x20, 0x7E), 50)
                .mix(integers().between(0x20, 0x20), 15)
                .mix(integers().between(0x2581, 0x2581), 5)
                .mix(integers().between(0x300, 0x36F), 5)
                .mix(integers().between(0xD800, 0xDFFF), 5);
        return lists().of(unit).ofSizeBetween(0, 24).map(LoneSurrogateTest::string);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void anyTextEncodesAndStreamsAsItDecodes(String name) {
        Tokenizer t = Tokenizer.load(ComponentGoldenTest.caseDir(name));
        qt().withExamples(300).forAll(texts()).checkAssert(s -> {
            for (boolean special : new boolean[] {false, true}) {
                int[] ids = t.encode(s, special);
                for (boolean skip : new boolean[] {false, true}) {
                    StreamingDecoder stream = t.streamingDecoder(skip);
                    StringBuilder streamed = new StringBuilder();
                    for (int id : ids) streamed.append(stream.push(id));
                    streamed.append(stream.finish());
                    assertEquals(t.decode(ids, skip), streamed.toString(), () -> name + ": text " + s.chars().mapToObj(Integer::toHexString).toList());
                }
            }
        });
    }

    /**
     * Metaspace "first" without split, byte fallback for every character, ByteFallback and
     * Metaspace decoders: the text comes back, unless it starts with a space (the decoder drops
     * the first token's "▁", whether prepended or the text's own) or holds "▁" or an added token.
     */
    @Test
    void decodeGivesTheTextBack() {
        Tokenizer t = Tokenizer.load(ComponentGoldenTest.caseDir("metaspace_first"));
        qt().withExamples(1000).forAll(texts()).checkAssert(raw -> {
            String s = Tokenizer.replaceLoneSurrogates(raw).replace("\u2581", "_").replace("<", "[");
            while (s.startsWith(" ")) s = s.substring(1);
            for (boolean special : new boolean[] {false, true}) {
                assertEquals(s, t.decode(t.encode(s, special), true), "text " + List.of(s));
            }
        });
    }
}
