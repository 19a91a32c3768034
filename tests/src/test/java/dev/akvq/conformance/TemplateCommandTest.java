package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq template} prints exactly what transformers renders (the chat-template fixtures'
 * cases, through the command line: messages and kwargs files, UTF-8 bytes, no newline added),
 * exits 1 with the template's own message when it raises, and names the flag or file otherwise.
 * The fixtures were rendered with strftime_now at 2025-03-07 09:05:02, which --now sets.
 */
class TemplateCommandTest {
    private static final Path TEMPLATES = Path.of(System.getProperty("akvq.fixtures")).resolve("../../../../../template/src/test/resources/chat_templates").normalize();

    /** Every case of three templates (VLM parts, tools and documents, raise_exception) through the CLI. */
    @Test
    void casesRenderThroughTheCommandLine(@TempDir Path tmp) throws IOException {
        int checked = 0, raised = 0;
        for (String model : List.of("llava-1.5-7b-hf", "granite-3.2-2b-instruct", "Mistral-7B-Instruct-v0.3")) {
            for (String line : Files.readAllLines(TEMPLATES.resolve(model).resolve("cases.jsonl"))) {
                JsonObject c = Json.parseObject(line, model + "/cases.jsonl");
                Path messages = tmp.resolve("messages.json"), kwargs = tmp.resolve("kwargs.json");
                Files.writeString(messages, line); // a case line is an object with "messages"
                Files.writeString(kwargs, c.has("kwargs") ? objectText(line, "\"kwargs\": ") : "{}");
                List<String> args = new java.util.ArrayList<>(List.of("template", "--model", TEMPLATES.resolve(model).toString(),
                        "--messages", messages.toString(), "--kwargs", kwargs.toString(), "--now", "2025-03-07T09:05:02"));
                if (c.requireBoolean("add_generation_prompt")) args.add("--add-generation-prompt");
                Cli.Result r = Cli.akvq(args.toArray(String[]::new));
                if (c.has("error")) {
                    assertEquals(1, r.status(), model + " " + c.requireString("id"));
                    assertTrue(r.err().contains(c.requireString("error")), r.err());
                    raised++;
                } else {
                    assertEquals(0, r.status(), r.err());
                    assertEquals(c.requireString("rendered"), r.out(), model + " " + c.requireString("id"));
                }
                checked++;
            }
        }
        assertEquals(16 + 25 + 24, checked);
        assertEquals(4, raised);
    }

    /** The JSON text of the object that follows {@code key} in {@code line}, braces matched outside strings. */
    static String objectText(String line, String key) {
        int start = line.indexOf(key) + key.length(), depth = 0;
        boolean inString = false;
        for (int i = start; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (inString) {
                if (ch == '\\') i++;
                else if (ch == '"') inString = false;
            } else if (ch == '"') {
                inString = true;
            } else if (ch == '{') {
                depth++;
            } else if (ch == '}' && --depth == 0) {
                return line.substring(start, i + 1);
            }
        }
        throw new IllegalArgumentException("no object after " + key);
    }

    @Test
    void badInputIsNamed(@TempDir Path tmp) throws IOException {
        Path model = TEMPLATES.resolve("Qwen2.5-7B-Instruct");
        Cli.Result missing = Cli.akvq("template", "--model", model.toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--messages"), missing.err());

        Path notAList = tmp.resolve("m.json");
        Files.writeString(notAList, "{\"role\": \"user\"}");
        Cli.Result wrong = Cli.akvq("template", "--model", model.toString(), "--messages", notAList.toString());
        assertEquals(1, wrong.status());
        assertTrue(wrong.err().contains("m.json") && wrong.err().contains("messages"), wrong.err());

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("chat_template.jinja"), "{% for m in messages %}\n{{ m.content }\n{% endfor %}");
        Files.writeString(notAList, "[]");
        Cli.Result syntax = Cli.akvq("template", "--model", broken.toString(), "--messages", notAList.toString());
        assertEquals(1, syntax.status());
        assertTrue(syntax.err().contains("chat_template.jinja") && syntax.err().contains("line 2"), syntax.err());

        Cli.Result none = Cli.akvq("template", "--model", tmp.toString(), "--messages", notAList.toString());
        assertEquals(1, none.status());
        assertTrue(none.err().contains("no chat template"), none.err());
    }
}
