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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine against Jinja2 itself (resources/jinja2/cases.jsonl, written by make_goldens.py
 * with python3-jinja2 3.1): random whitespace-control templates under every combination of
 * trim_blocks and lstrip_blocks, random expressions (Python semantics), and a hand-written
 * template per feature. A rendered case must match byte for byte; where Jinja2 fails, the
 * engine must fail too: a syntax error where Jinja2's is one, a runtime error otherwise.
 */
class JinjaGoldenTest {

    static List<JsonObject> lines() throws IOException, URISyntaxException {
        Path file = Path.of(JinjaGoldenTest.class.getResource("/jinja2/cases.jsonl").toURI());
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) out.add(Json.parseObject(line, file.toString()));
        return out;
    }

    /** The case's outcome: the rendering, or "error: syntax" / "error: runtime". */
    static String outcome(JsonObject c, Map<String, Object> variables) {
        try {
            Template t = new TemplateEnvironment(c.requireBoolean("trim_blocks"), c.requireBoolean("lstrip_blocks"), Map.of(), Limits.DEFAULT)
                    .parse(c.requireString("template"));
            return t.render(variables);
        } catch (TemplateSyntaxError e) {
            return "error: syntax";
        } catch (TemplateException e) {
            return "error: runtime";
        }
    }

    static String expected(JsonObject c) {
        if (c.has("rendered")) return c.requireString("rendered");
        String error = c.requireString("error");
        return error.equals("TemplateSyntaxError") || error.equals("TemplateAssertionError") ? "error: syntax" : "error: runtime";
    }

    @Test
    void everyCaseMatchesJinja2() throws Exception {
        List<JsonObject> lines = lines();
        @SuppressWarnings("unchecked")
        Map<String, Object> variables = (Map<String, Object>) PlainValues.fromJson(lines.getFirst().requireObject("variables"));
        List<String> failures = new ArrayList<>();
        int rendered = 0;
        for (JsonObject c : lines.subList(1, lines.size())) {
            String want = expected(c), got;
            try {
                got = outcome(c, variables);
            } catch (RuntimeException e) {
                got = "java exception: " + e;
            }
            if (c.has("rendered")) rendered++;
            if (!got.equals(want)) {
                failures.add(c.requireString("id") + " " + Py.repr(c.requireString("template")) + ": "
                        + ChatTemplateFixtureTest.difference(want, got) + (c.has("error") ? " (Jinja2: " + c.requireString("error") + ")" : ""));
            }
        }
        assertTrue(rendered > 1500, "most cases render: " + rendered);
        if (!failures.isEmpty()) fail(failures.size() + " of " + (lines.size() - 1) + " cases differ from Jinja2:\n" + String.join("\n", failures));
    }

    @Test
    void aWrongRenderingIsCaught() throws Exception {
        JsonObject c = lines().stream().filter(l -> l.has("rendered") && l.requireString("id").startsWith("lang-")).findFirst().orElseThrow();
        assertEquals(false, expected(c).equals(expected(c) + " "));
        assertTrue(ChatTemplateFixtureTest.difference(expected(c), expected(c) + " ").startsWith("first difference"));
    }
}
