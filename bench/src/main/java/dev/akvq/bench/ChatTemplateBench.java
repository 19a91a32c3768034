package dev.akvq.bench;

import dev.akvq.template.ChatTemplate;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time to render a 20-turn conversation (a system message, then 20 user/assistant pairs of about
 * 60 characters each, with the generation prompt) with a parsed chat template, for the published
 * templates under template/src/test/resources/chat_templates; and the time to find and parse
 * one. The bound: a render well under a millisecond. Run from the repository root:
 * {@code ./akvq bench ChatTemplateBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ChatTemplateBench {
    @Param({"Qwen2.5-7B-Instruct", "Mistral-7B-Instruct-v0.3", "granite-3.2-2b-instruct", "SmolVLM-Instruct", "llava-1.5-7b-hf"})
    public String model;

    Path dir;
    ChatTemplate template;
    List<Object> messages;

    @Setup
    public void setup() {
        dir = Path.of("template/src/test/resources/chat_templates", model);
        template = ChatTemplate.find(dir, () -> LocalDateTime.of(2025, 3, 7, 9, 5, 2)).orElseThrow();
        boolean parts = model.startsWith("SmolVLM") || model.startsWith("llava");
        messages = new ArrayList<>();
        if (!parts) messages.add(message("system", "You are a helpful assistant who answers briefly.", false));
        for (int turn = 0; turn < 20; turn++) {
            messages.add(message("user", "Question number " + turn + ": what is shown in the picture, and why?", parts));
            messages.add(message("assistant", "Answer " + turn + ": a small red triangle next to a blue circle on white.", parts));
        }
        messages.add(message("user", "And finally, summarize everything in one sentence.", parts));
    }

    private static Map<String, Object> message(String role, String text, boolean parts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", parts ? List.of(Map.of("type", "text", "text", text)) : text);
        return m;
    }

    @Benchmark
    public String render() {
        return template.render(messages, true, Map.of());
    }

    @Benchmark
    public ChatTemplate findAndParse() {
        return ChatTemplate.find(dir, LocalDateTime::now).orElseThrow();
    }
}
