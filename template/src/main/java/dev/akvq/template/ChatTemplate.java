package dev.akvq.template;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNull;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A model's chat template rendered as transformers renders it: {@code apply_chat_template(...,
 * tokenize=False)} of v4.47.1 (tokenization_utils_base.py and utils/chat_template_utils.py,
 * commit 241c04d3). The environment is Jinja2's sandbox with trim_blocks and lstrip_blocks on,
 * loopcontrols and the {@code generation} tag, transformers' {@code tojson}, and the globals
 * {@code raise_exception(message)} and {@code strftime_now(format)}.
 *
 * <p>A model may publish several named templates (tokenizer_config.json's list of
 * {@code {"name", "template"}}): {@code tool_use} is taken when tools are given and it exists,
 * else {@code default}, unless a name is asked for.
 */
public final class ChatTemplate {
    /** The special tokens transformers passes to the template by name (SPECIAL_TOKENS_ATTRIBUTES, less the list). */
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    private final String origin;
    private final Map<String, Template> named;
    private final Map<String, Object> specialTokens;

    private ChatTemplate(String origin, Map<String, Template> named, Map<String, Object> specialTokens) {
        this.origin = origin;
        this.named = named;
        this.specialTokens = specialTokens;
    }

    /** transformers' Jinja environment, with {@code clock} behind {@code strftime_now}. */
    public static TemplateEnvironment environment(Supplier<LocalDateTime> clock, Limits limits) {
        Map<String, Object> globals = new LinkedHashMap<>();
        globals.put("raise_exception", (TemplateFunction) (args, kw) -> {
            throw new TemplateRaisedError(args.isEmpty() ? "" : Py.str(args.getFirst()));
        });
        globals.put("strftime_now", (TemplateFunction) (args, kw) ->
                Strftime.format(clock.get(), new CallArgs("strftime_now", args, kw).string(0, "format", null)));
        return new TemplateEnvironment(true, true, globals, limits);
    }

    /** One template from its source; {@code specialTokens} as the variables {@code bos_token}, ... */
    public static ChatTemplate of(String source, Map<String, ?> specialTokens, Supplier<LocalDateTime> clock) {
        TemplateEnvironment env = environment(clock, Limits.DEFAULT);
        Map<String, Template> named = new LinkedHashMap<>();
        named.put("default", env.parse(source));
        return new ChatTemplate("template", named, copyTokens(specialTokens));
    }

    private static Map<String, Object> copyTokens(Map<String, ?> tokens) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : tokens.entrySet()) out.put(e.getKey(), PlainValues.of(e.getValue()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * The template of the checkpoint or processor in {@code dir}, looked up as transformers does:
     * chat_template.jinja, then chat_template.json (a processor's template), then the
     * {@code chat_template} of processor_config.json (where processors kept it before
     * chat_template.json) and of tokenizer_config.json; special tokens from tokenizer_config.json,
     * overridden by special_tokens_map.json. Empty when the directory has no template. A template
     * that does not parse fails here, naming the file, the template and the line and column.
     */
    public static Optional<ChatTemplate> find(Path dir, Supplier<LocalDateTime> clock) {
        Map<String, Object> tokens = specialTokens(dir);
        TemplateEnvironment env = environment(clock, Limits.DEFAULT);
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Optional.of(parseNamed(jinja.getFileName().toString(), Map.of("default", readText(jinja)), env, tokens));
        }
        for (String file : List.of("chat_template.json", "processor_config.json", "tokenizer_config.json")) {
            Path p = dir.resolve(file);
            if (!Files.isRegularFile(p)) continue;
            JsonObject o = Json.readObjectFile(p);
            Optional<Map<String, String>> sources = templateField(o);
            if (sources.isPresent()) return Optional.of(parseNamed(file, sources.get(), env, tokens));
        }
        return Optional.empty();
    }

    private static String readText(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new WeightsFormatException(p + ": cannot read: " + e.getMessage());
        }
    }

    /** {@code chat_template}: a string, or a list of {"name", "template"}; empty when absent or null. */
    private static Optional<Map<String, String>> templateField(JsonObject o) {
        Optional<JsonValue> v = o.get("chat_template");
        if (v.isEmpty() || v.get() instanceof JsonNull) return Optional.empty();
        Map<String, String> out = new LinkedHashMap<>();
        if (v.get() instanceof JsonString s) {
            out.put("default", s.value());
        } else if (v.get() instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonObject t) || !(t.get("name").orElse(null) instanceof JsonString name)
                        || !(t.get("template").orElse(null) instanceof JsonString template))
                    throw o.fieldError("chat_template", "expected a list of {\"name\": string, \"template\": string}, element " + i + " is "
                            + a.get(i).describe());
                out.put(name.value(), template.value());
            }
        } else if (v.get() instanceof JsonObject named) {
            // {"default": "...", "tool_use": "..."}: the same named templates written as an object
            for (String name : named.keys()) out.put(name, named.requireString(name));
        } else {
            throw o.fieldError("chat_template", "expected a template string or a list of {\"name\", \"template\"}, found " + v.get().describe());
        }
        return Optional.of(out);
    }

    private static ChatTemplate parseNamed(String file, Map<String, String> sources, TemplateEnvironment env, Map<String, Object> tokens) {
        Map<String, Template> named = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            try {
                named.put(e.getKey(), env.parse(e.getValue()));
            } catch (TemplateSyntaxError err) {
                String which = sources.size() > 1 ? " (template '" + e.getKey() + "')" : "";
                throw new TemplateSyntaxError(file + which + ": " + err.problem(), err.line(), err.column());
            }
        }
        return new ChatTemplate(file, named, tokens);
    }

    /** The special tokens as transformers' special_tokens_map gives them to the template. */
    static Map<String, Object> specialTokens(Path dir) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        for (String file : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path p = dir.resolve(file);
            if (!Files.isRegularFile(p)) continue;
            JsonObject o = Json.readObjectFile(p);
            for (String key : SPECIAL_TOKENS) {
                if (!o.has(key)) continue;
                String token = tokenText(o.get(key).get());
                if (token == null || token.isEmpty()) tokens.remove(key);
                else tokens.put(key, token);
            }
            o.get("additional_special_tokens").ifPresent(v -> {
                if (v instanceof JsonArray a) {
                    List<Object> list = new ArrayList<>();
                    for (int i = 0; i < a.size(); i++) {
                        String t = tokenText(a.get(i));
                        if (t != null) list.add(t);
                    }
                    tokens.put("additional_special_tokens", list);
                }
            });
            o.get("extra_special_tokens").ifPresent(v -> {
                if (v instanceof JsonObject extra) {
                    for (Map.Entry<String, JsonValue> e : extra.members().entrySet()) {
                        String t = tokenText(e.getValue());
                        if (t != null && !t.isEmpty()) tokens.put(e.getKey(), t);
                    }
                }
            });
        }
        return Collections.unmodifiableMap(tokens);
    }

    /** A token written as a string or as {"content": ...} (AddedToken); null otherwise. */
    private static String tokenText(JsonValue v) {
        if (v instanceof JsonString s) return s.value();
        if (v instanceof JsonObject o && o.get("content").orElse(null) instanceof JsonString s) return s.value();
        return null;
    }

    /** Where the template came from: "chat_template.json", "tokenizer_config.json", ... */
    public String origin() {
        return origin;
    }

    public List<String> names() {
        return List.copyOf(named.keySet());
    }

    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    /**
     * The prompt for {@code messages} (a list of maps; content a string or a list of parts),
     * with {@code kwargs} as the other arguments of apply_chat_template ({@code tools},
     * {@code documents}, {@code continue_final_message}, {@code chat_template} (a template name)
     * and any extra variable). A template's raise_exception arrives as {@link TemplateRaisedError}.
     */
    public String render(List<?> messages, boolean addGenerationPrompt, Map<String, ?> kwargs) {
        Map<String, Object> kw = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : kwargs.entrySet()) kw.put(e.getKey(), PlainValues.of(e.getValue()));
        boolean continueFinal = Py.truthy(kw.remove("continue_final_message"));
        Object requested = kw.remove("chat_template");
        if (continueFinal && addGenerationPrompt)
            throw new IllegalArgumentException("continue_final_message and add_generation_prompt are not compatible: use "
                    + "continue_final_message to continue the final message, add_generation_prompt to start a new one");
        Object tools = kw.containsKey("tools") ? kw.remove("tools") : null;
        Object documents = kw.containsKey("documents") ? kw.remove("documents") : null;
        Template template = select(requested == null ? null : Py.str(requested), tools != null);

        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", PlainValues.of(messages));
        variables.put("tools", tools);
        variables.put("documents", documents);
        variables.put("add_generation_prompt", addGenerationPrompt);
        variables.putAll(specialTokens);
        variables.putAll(kw);
        String rendered = template.render(variables);
        return continueFinal ? cutAfterFinalMessage(rendered, messages) : rendered;
    }

    private Template select(String name, boolean withTools) {
        if (name != null) {
            Template t = named.get(name);
            if (t == null) throw new IllegalArgumentException(origin + ": no chat template named '" + name + "'; the model has " + named.keySet());
            return t;
        }
        if (withTools && named.containsKey("tool_use")) return named.get("tool_use");
        if (named.containsKey("default")) return named.get("default");
        throw new IllegalArgumentException(origin + ": the model has several chat templates and none is named 'default'; "
                + "ask for one of " + named.keySet());
    }

    /**
     * v4.47.1's continue_final_message: cut the rendering right after the last occurrence of the
     * final message's text (its content, or the "text" of its last part), retrying with the text
     * stripped, so the model continues that message instead of starting a new one.
     */
    private static String cutAfterFinalMessage(String rendered, List<?> messages) {
        if (messages.isEmpty() || !(messages.getLast() instanceof Map<?, ?> last))
            throw new IllegalArgumentException("continue_final_message needs a final message");
        Object content = last.get("content");
        if (content instanceof List<?> parts && !parts.isEmpty() && parts.getLast() instanceof Map<?, ?> part) content = part.get("text");
        if (!(content instanceof String text))
            throw new IllegalArgumentException("continue_final_message: the final message has no text to continue");
        int at = rendered.lastIndexOf(text);
        if (at < 0) {
            text = Py.strip(text);
            at = rendered.lastIndexOf(text);
        }
        if (at < 0) throw new IllegalArgumentException("continue_final_message: the final message's text does not occur in the rendered prompt");
        return rendered.substring(0, at + text.length());
    }
}
