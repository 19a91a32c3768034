package dev.akvq.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a model's template and special tokens come from, and how a named template is chosen, as transformers does. */
class ChatTemplateLookupTest {
    private static final List<Map<String, Object>> HELLO = List.of(Map.of("role", "user", "content", "hi"));

    private static String render(Path dir, Map<String, ?> kwargs) {
        return ChatTemplate.find(dir, LocalDateTime::now).orElseThrow().render(HELLO, false, kwargs);
    }

    @Test
    void jinjaFileThenProcessorTemplateThenTokenizerConfig(@TempDir Path dir) throws IOException {
        assertTrue(ChatTemplate.find(dir, LocalDateTime::now).isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", "
                + "\"pad_token\": null, \"chat_template\": \"T{{ bos_token }}{{ eos_token }}{{ pad_token is defined }}\"}");
        assertEquals("T<s></s>False", render(dir, Map.of()));
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"eos_token\": \"<|end|>\"}");
        assertEquals("T<s><|end|>False", render(dir, Map.of()));
        Files.writeString(dir.resolve("processor_config.json"), "{\"chat_template\": \"P{{ messages[0].content }}\"}");
        assertEquals("Phi", render(dir, Map.of()));
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"J{{ messages|length }}\"}");
        assertEquals("J1", render(dir, Map.of()));
        Files.writeString(dir.resolve("chat_template.jinja"), "F{{ extra }}\n");
        assertEquals("Fx", render(dir, Map.of("extra", "x")));
    }

    @Test
    void namedTemplates(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"default\", \"template\": \"D\"}, "
                + "{\"name\": \"tool_use\", \"template\": \"T{{ tools|length }}\"}, {\"name\": \"rag\", \"template\": \"R\"}]}");
        assertEquals("D", render(dir, Map.of()));
        assertEquals("T0", render(dir, Map.of("tools", List.of())));
        assertEquals("R", render(dir, Map.of("chat_template", "rag")));
        assertThrows(IllegalArgumentException.class, () -> render(dir, Map.of("chat_template", "nope")));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> render(dir, Map.of()));
        assertTrue(e.getMessage().contains("default"), e.getMessage());
    }

    @Test
    void aTemplateThatDoesNotParseNamesTheFileLineAndColumn(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"{% for m in messages %}\\n  {{ m.content + }}\\n{% endfor %}\"}");
        TemplateSyntaxError e = assertThrows(TemplateSyntaxError.class, () -> ChatTemplate.find(dir, LocalDateTime::now));
        assertTrue(e.getMessage().startsWith("chat_template.json: "), e.getMessage());
        assertEquals(2, e.line());
        assertEquals(18, e.column());
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"{% if x %}never closed\"}");
        e = assertThrows(TemplateSyntaxError.class, () -> ChatTemplate.find(dir, LocalDateTime::now));
        assertTrue(e.getMessage().contains("endif"), e.getMessage());
    }

    @Test
    void continueFinalMessageCutsAfterTheFinalText() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}</{{ m.role }}>{% endfor %}", Map.of(),
                LocalDateTime::now);
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "Go"), Map.of("role", "assistant", "content", " Once upon "));
        assertEquals("<user>Go</user><assistant>Once upon", t.render(messages, false, Map.of("continue_final_message", true)));
        assertThrows(IllegalArgumentException.class, () -> t.render(messages, true, Map.of("continue_final_message", true)));
    }

    @Test
    void aTemplateSeesOnlyPlainValues() {
        ChatTemplate t = ChatTemplate.of("{{ x }}", Map.of(), LocalDateTime::now);
        assertThrows(IllegalArgumentException.class, () -> t.render(HELLO, false, Map.of("x", new Object())));
        assertEquals("[1, 2.5, None]", t.render(HELLO, false, Map.of("x", java.util.Arrays.asList(1, 2.5f, null))));
    }
}
