package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The normalizers, pre-tokenizers, post-processors and decoders the three model goldens do not
 * reach (Metaspace, Digits, Split's behaviours and invert, Whitespace, Punctuation, NFKC, ...),
 * against Hugging Face tokenizers 0.23.2: src/test/resources/components/make_goldens.js built
 * each small tokenizer.json and wrote what the library makes of every text; every line's ids,
 * tokens and both decodes must be equal. The list of cases is fixed here, so a missing
 * directory fails rather than shrinking the test.
 */
class ComponentGoldenTest {
    static final Path COMPONENTS = Path.of("src", "test", "resources", "components").toAbsolutePath();

    static final List<String> CASES = List.of("metaspace_first", "metaspace_always_split", "metaspace_never_split",
            "metaspace_legacy_prefix", "metaspace_legacy_no_prefix", "metaspace_first_after_split", "metaspace_first_after_strip", "digits_individual",
            "digits_contiguous", "punctuation_merged_next", "punctuation_contiguous", "split_removed", "split_removed_invert",
            "split_isolated", "split_isolated_invert", "split_merged_with_previous", "split_merged_with_previous_invert",
            "split_merged_with_next", "split_merged_with_next_invert", "split_contiguous", "split_contiguous_invert",
            "split_empty_matches_removed", "split_empty_matches_merged_with_previous", "split_empty_matches_merged_with_next",
            "split_empty_matches_contiguous", "split_string_spaces", "bytelevel_nfkc_digits", "bytelevel_no_regex_lowercase", "char_delimiter_replace_regex", "bert_pre_tokenizer");

    static Stream<String> cases() {
        return CASES.stream();
    }

    static Path caseDir(String name) {
        Path dir = COMPONENTS.resolve(name);
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")), "missing " + dir + "/tokenizer.json");
        assertTrue(Files.isRegularFile(dir.resolve("goldens.jsonl")), "missing " + dir + "/goldens.jsonl");
        return dir;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyGoldenMatches(String name) throws IOException {
        Path dir = caseDir(name);
        Tokenizer tokenizer = Tokenizer.load(dir);
        List<TokenizerGoldenTest.Golden> goldens = TokenizerGoldenTest.goldens(dir);
        assertTrue(goldens.size() >= 20, dir + "/goldens.jsonl: only " + goldens.size() + " lines");
        List<String> failures = TokenizerGoldenTest.mismatches(tokenizer, goldens);
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " of " + goldens.size() + " goldens differ:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }

    /** Every case directory make_goldens.js wrote is in {@link #CASES}. */
    @Test
    void everyCaseIsListed() throws IOException {
        try (Stream<Path> dirs = Files.list(COMPONENTS)) {
            List<String> found = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(CASES.stream().sorted().toList(), found);
        }
    }

    /** The comparison can fail: a Metaspace golden with a changed decode is reported. */
    @Test
    void aWrongGoldenIsReported() throws IOException {
        Path dir = caseDir("metaspace_first");
        TokenizerGoldenTest.Golden g = TokenizerGoldenTest.goldens(dir).get(0);
        TokenizerGoldenTest.Golden broken = new TokenizerGoldenTest.Golden(g.id(), g.text(), g.addSpecialTokens(), g.ids(), g.tokens(),
                " " + g.decoded(), g.decodedSkipSpecial());
        assertFalse(TokenizerGoldenTest.mismatches(Tokenizer.load(dir), List.of(broken)).isEmpty());
    }
}
