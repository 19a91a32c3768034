package dev.akvq.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Every case of the chat-template fixtures (copied from ../shared/fixtures/chat_templates, see
 * its README): ten published templates, each conversation rendered byte for byte as
 * transformers 4.47.1 renders it, or failing with the template's raise_exception message.
 */
class ChatTemplateFixtureTest {
    /** The fixtures were rendered with strftime_now fixed at this time. */
    static final LocalDateTime FIXTURE_CLOCK = LocalDateTime.of(2025, 3, 7, 9, 5, 2);

    static Path fixtures() throws URISyntaxException {
        return Path.of(ChatTemplateFixtureTest.class.getResource("/chat_templates").toURI());
    }

    record Case(String folder, JsonObject line) {}

    static List<Case> cases() throws IOException, URISyntaxException {
        List<Case> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(fixtures())) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                for (String line : Files.readAllLines(dir.resolve("cases.jsonl"))) {
                    if (!line.isBlank()) out.add(new Case(dir.getFileName().toString(), Json.parseObject(line, dir + "/cases.jsonl")));
                }
            }
        }
        return out;
    }

    /** What the engine produces for one case: the rendering, or "raise: " + the raised message. */
    static String outcome(Case c) throws URISyntaxException {
        ChatTemplate template = ChatTemplate.find(fixtures().resolve(c.folder()), () -> FIXTURE_CLOCK).orElseThrow();
        Object messages = PlainValues.fromJson(c.line().requireArray("messages"));
        @SuppressWarnings("unchecked")
        Map<String, Object> kwargs = c.line().optObject("kwargs").map(k -> (Map<String, Object>) PlainValues.fromJson(k)).orElse(Map.of());
        try {
            return template.render((List<?>) messages, c.line().requireBoolean("add_generation_prompt"), kwargs);
        } catch (TemplateRaisedError e) {
            return "raise: " + e.getMessage();
        }
    }

    static String expected(Case c) {
        return c.line().optString("rendered").orElseGet(() -> "raise: " + c.line().requireString("error"));
    }

    @Test
    void everyCaseRendersByteForByte() throws Exception {
        List<Case> cases = cases();
        assertEquals(198, cases.size(), "the fixtures hold 198 cases (README)");
        List<String> failures = new ArrayList<>();
        int raises = 0;
        for (Case c : cases) {
            String want = expected(c);
            if (want.startsWith("raise: ")) raises++;
            String got;
            try {
                got = outcome(c);
            } catch (TemplateException | IllegalArgumentException e) {
                got = "exception: " + e.getMessage();
            }
            if (!got.equals(want)) failures.add(c.folder() + "/" + c.line().requireString("id") + ": " + difference(want, got));
        }
        assertEquals(5, raises, "five cases raise (README)");
        if (!failures.isEmpty()) fail(failures.size() + " of " + cases.size() + " cases differ:\n" + String.join("\n", failures));
    }

    /** Where two strings first differ, with a little context of each. */
    static String difference(String want, String got) {
        int i = 0;
        while (i < want.length() && i < got.length() && want.charAt(i) == got.charAt(i)) i++;
        int from = Math.max(0, i - 30);
        return "first difference at char " + i + ": expected " + Py.repr(want.substring(from, Math.min(want.length(), i + 40)))
                + " but got " + Py.repr(got.substring(from, Math.min(got.length(), i + 40)));
    }

    @Test
    void theDifferenceHelperReportsAMismatch() throws Exception {
        Case c = cases().getFirst();
        String want = expected(c);
        String wrong = want.substring(0, want.length() - 1) + "X";
        assertTrue(!wrong.equals(want));
        assertTrue(difference(want, wrong).contains("first difference at char " + (want.length() - 1)), difference(want, wrong));
    }
}
