package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;

/**
 * The streaming decoder's text, pushed id by id and then finished, is decode(ids) exactly: over
 * every golden line of gpt2, qwen3 and llama2 (both skip-special settings) and over random id
 * sequences weighted toward what splits characters (GPT-2's single-byte tokens, Llama 2's
 * "&lt;0xNN&gt;" byte-fallback ids, special tokens, ids outside the vocab, a leading "▁").
 */
class StreamingDecoderTest {
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> Tokenizer.load(TokenizerGoldenTest.tokenizerDir(n)));
    }

    /** Each push's text, then finish's. */
    static List<String> pieces(Tokenizer t, int[] ids, boolean skipSpecialTokens) {
        StreamingDecoder stream = t.streamingDecoder(skipSpecialTokens);
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(stream.push(id));
        out.add(stream.finish());
        return out;
    }

    static String streamed(Tokenizer t, int[] ids, boolean skipSpecialTokens) {
        return String.join("", pieces(t, ids, skipSpecialTokens));
    }

    /**
     * A Replace after Fuse sees the joined text, so a match can span tokens: with {@code l+ -> L},
     * "l" then "l" decodes to "L", which a token-by-token stream would print as "LL". Such a
     * stream holds its text until finish.
     */
    @Test
    void replaceAcrossFusedTokensWaitsForTheWholeText() {
        Tokenizer t = Tokenizer.load(ComponentGoldenTest.caseDir("char_delimiter_replace_regex"));
        int l = t.tokenId("l").orElseThrow();
        int[] ids = {l, l, l};
        assertEquals("L", t.decode(ids, false));
        assertEquals(List.of("", "", "", "L"), pieces(t, ids, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3", "llama2"})
    void everyGoldenLineStreamsToItsDecode(String name) throws IOException {
        Tokenizer t = tokenizer(name);
        List<String> failures = new ArrayList<>();
        for (TokenizerGoldenTest.Golden g : TokenizerGoldenTest.goldens(TokenizerGoldenTest.fixture(name))) {
            for (boolean skip : new boolean[] {false, true}) {
                String expected = t.decode(g.ids(), skip), found = streamed(t, g.ids(), skip);
                if (!found.equals(expected)) failures.add(g.id() + " skip=" + skip + ": expected \"" + expected + "\" found \"" + found + "\"");
            }
        }
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " lines differ:\n" + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    /** The goldens do split characters across tokens: decoding id by id and joining differs from decode for some lines. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama2"})
    void theGoldensSplitCharactersAcrossTokens(String name) throws IOException {
        Tokenizer t = tokenizer(name);
        long split = TokenizerGoldenTest.goldens(TokenizerGoldenTest.fixture(name)).stream().filter(g -> {
            StringBuilder naive = new StringBuilder();
            for (int id : g.ids()) naive.append(t.decode(new int[] {id}, false));
            return !naive.toString().equals(t.decode(g.ids(), false));
        }).count();
        assertTrue(split > 10, name + ": only " + split + " golden lines where per-token decoding differs");
    }

    /** Ids weighted toward the ones that split characters or vanish. */
    static Gen<int[]> ids(Tokenizer t, int byteIdsFrom, int byteIdsTo) {
        int size = t.vocabSize();
        Gen<Integer> any = integers().between(-2, size + 3);
        Gen<Integer> bytes = integers().between(byteIdsFrom, byteIdsTo);
        Gen<Integer> low = integers().between(0, 400);
        Gen<Integer> high = integers().between(Math.max(0, size - 300), size + 3); // added/special tokens sit at the end
        Gen<Integer> id = any.mix(bytes, 45).mix(low, 20).mix(high, 10);
        return lists().of(id).ofSizeBetween(0, 40).map(l -> l.stream().mapToInt(Integer::intValue).toArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3", "llama2"})
    void randomIdsStreamToTheirDecode(String name) {
        Tokenizer t = tokenizer(name);
        // GPT-2 and Qwen: ids 0..255 are the byte alphabet's single characters; Llama 2: 3..258 are <0x00>..<0xFF>.
        int from = name.equals("llama2") ? 3 : 0, to = name.equals("llama2") ? 258 : 255;
        qt().withExamples(3000).forAll(ids(t, from, to), booleans().all()).checkAssert((ids, skip) ->
                assertEquals(t.decode(ids, skip), streamed(t, ids, skip), () -> java.util.Arrays.toString(ids)));
    }

    @Test
    void aCharacterSplitAcrossTokensPrintsOnceWhole() {
        Tokenizer gpt2 = tokenizer("gpt2");
        // "é" is C3 A9: the byte alphabet's "Ã" and "©", pushed one at a time.
        int[] ids = {gpt2.tokenId("Ã").orElseThrow(), gpt2.tokenId("©").orElseThrow(), gpt2.tokenId("!").orElseThrow()};
        assertEquals(List.of("", "é", "!", ""), pieces(gpt2, ids, false));
        // An incomplete character at the end comes out at finish, as decode gives it (U+FFFD).
        assertEquals(List.of("", "\uFFFD"), pieces(gpt2, new int[] {ids[0]}, false));

        Tokenizer llama2 = tokenizer("llama2");
        int[] euro = {llama2.tokenId("<0xE2>").orElseThrow(), llama2.tokenId("<0x82>").orElseThrow(), llama2.tokenId("<0xAC>").orElseThrow(),
                llama2.tokenId("▁x").orElseThrow()};
        // The run is held until a token that is not a byte ends it: one more byte could still make it invalid.
        assertEquals(List.of("", "", "", "€ x", ""), pieces(llama2, euro, false));
        // That byte turns the whole run into one U+FFFD per byte (byte_fallback.rs).
        assertEquals(List.of("", "", "", "", "\uFFFD\uFFFD\uFFFD\uFFFD"), pieces(llama2, new int[] {euro[0], euro[1], euro[2], euro[0]}, false));
    }

    @Test
    void sentencePiecesLeadingSpaceIsStrippedOnlyAtTheStart() {
        Tokenizer llama2 = tokenizer("llama2");
        int hello = llama2.tokenId("▁Hello").orElseThrow(), bos = llama2.tokenId("<s>").orElseThrow();
        assertEquals(List.of("", "Hello", " Hello", ""), pieces(llama2, new int[] {bos, hello, hello}, true));
        assertEquals(List.of("<s>", " Hello", " Hello", ""), pieces(llama2, new int[] {bos, hello, hello}, false));
    }

    /** A SentencePiece-style chain on a small vocab, with the given vocab and Strip; hand-made. */
    private static Tokenizer small(String vocab, int stripStart, int stripStop) {
        return Tokenizer.fromJson(dev.akvq.weights.json.Json.parseObject("""
                {"decoder": {"type": "Sequence", "decoders": [
                    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                    {"type": "ByteFallback"}, {"type": "Fuse"},
                    {"type": "Strip", "content": " ", "start": %d, "stop": %d}]},
                 "model": {"type": "BPE", "vocab": %s, "merges": [], "byte_fallback": true}}
                """.formatted(stripStart, stripStop, vocab), "tokenizer.json"));
    }

    private static final String SMALL_VOCAB = "{\"<0xC3>\": 0, \"<0xA9>\": 1, \"<0xFF>\": 2, \"▁\": 3, \"▁ab\": 4, \"cd▁\": 5, \"▁▁\": 6";

    /** Stripping the end (stop > 0) can undo printed text, so such a chain prints at finish; still exact. */
    @Test
    void aChainThatStripsTheEndPrintsAtFinish() {
        Tokenizer t = small(SMALL_VOCAB + ", \"a\": 7}", 1, 2);
        qt().withExamples(500).forAll(lists().of(integers().between(-1, 8)).ofSizeBetween(0, 12)).checkAssert(l -> {
            int[] ids = l.stream().mapToInt(Integer::intValue).toArray();
            List<String> p = pieces(t, ids, false);
            assertTrue(p.subList(0, ids.length).stream().allMatch(String::isEmpty), p::toString);
            assertEquals(t.decode(ids, false), String.join("", p));
        });
    }

    /** Without a one-letter token to put in front of a window, the window never restarts; still exact. */
    @Test
    void withoutASentinelTheWholeTextIsRedecodedAndStillExact() {
        Tokenizer t = small(SMALL_VOCAB + "}", 2, 0);
        qt().withExamples(500).forAll(lists().of(integers().between(-1, 7)).ofSizeBetween(0, 12)).checkAssert(l -> {
            int[] ids = l.stream().mapToInt(Integer::intValue).toArray();
            assertEquals(t.decode(ids, false), streamed(t, ids, false));
        });
        assertEquals(List.of("", "", "é ab", ""), pieces(t, new int[] {0, 1, 4}, false)); // the byte run is held until "▁ab" ends it
    }

    /** The property can fail: a decoder that prints each token's own decode breaks it on the goldens. */
    @Test
    void theComparisonCatchesAWrongStream() throws IOException {
        Tokenizer t = tokenizer("llama2");
        TokenizerGoldenTest.Golden g = TokenizerGoldenTest.goldens(TokenizerGoldenTest.fixture("llama2")).get(0);
        StringBuilder naive = new StringBuilder();
        for (int id : g.ids()) naive.append(t.decode(new int[] {id}, false));
        assertTrue(!naive.toString().equals(t.decode(g.ids(), false)) && streamed(t, g.ids(), false).equals(t.decode(g.ids(), false)),
                "first llama2 golden: naive \"" + naive + "\" vs \"" + t.decode(g.ids(), false) + "\"");
    }
}
