package dev.akvq.cli;

import dev.akvq.template.ChatTemplate;
import dev.akvq.template.PlainValues;
import dev.akvq.template.TemplateRaisedError;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code akvq template}: the prompt a model's chat template renders for a conversation, exactly
 * as transformers' {@code apply_chat_template(..., tokenize=False)} returns it, with nothing
 * added: the first thing to check when a port's prompts differ.
 */
final class TemplateCommand implements Command {
    @Override
    public String name() {
        return "template";
    }

    @Override
    public String summary() {
        return "render a model's chat template for a conversation (as transformers does)";
    }

    @Override
    public String help() {
        return """
                akvq template: render a model's chat template, exactly as transformers does

                Usage: akvq template --model DIR --messages FILE.json [--add-generation-prompt]
                                     [--kwargs FILE.json] [--template-name NAME] [--now TIME]

                Prints the rendered prompt to stdout as UTF-8, byte for byte what
                apply_chat_template(messages, tokenize=False, ...) of transformers 4.47 returns,
                with no newline added. The template is DIR/chat_template.jinja, else
                DIR/chat_template.json (a processor's template, for VLMs), else the chat_template
                of DIR/processor_config.json or of DIR/tokenizer_config.json (a string, or a list
                of named templates: tool_use when tools are given, else default). Special tokens (bos_token, eos_token, ...)
                come from tokenizer_config.json and special_tokens_map.json.

                Options:
                  --model DIR               a checkpoint or processor folder with a chat template
                  --messages FILE.json      the conversation: a JSON list of {"role", "content"},
                                            content a string or a list of parts such as
                                            {"type": "image"} and {"type": "text", "text": ...};
                                            or an object with a "messages" field
                  --add-generation-prompt   end with the header that starts the assistant's turn
                  --kwargs FILE.json        one JSON object: the other arguments of
                                            apply_chat_template (tools, documents,
                                            continue_final_message, any extra template variable)
                  --template-name NAME      a named template of the model (e.g. tool_use)
                  --now TIME                the local time strftime_now() sees, e.g. 2025-03-07T09:05:02
                                            (default: now), to reproduce a prompt exactly

                Exit status: 0 rendered; 1 the template raised (raise_exception: its message),
                does not parse (file, line, column), or a file is unreadable; 2 bad usage.

                Examples:
                  F=template/src/test/resources/chat_templates
                  echo '[{"role": "user", "content": "Hello!"}]' > /tmp/hello.json
                  akvq template --model $F/Qwen2.5-7B-Instruct --messages /tmp/hello.json --add-generation-prompt
                  akvq template --model $F/llava-1.5-7b-hf --messages /tmp/hello.json --add-generation-prompt
                  echo '{"tools": []}' > /tmp/kw.json
                  akvq template --model $F/Mistral-7B-Instruct-v0.3 --messages /tmp/hello.json --kwargs /tmp/kw.json
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("model", "messages", "kwargs", "template-name", "now"), Set.of("add-generation-prompt"));
        LocalDateTime now = flags.optional("now").map(TemplateCommand::time).orElse(null);
        Path model = flags.existingDirectory("model");
        List<?> messages = readMessages(Path.of(flags.require("messages")));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        flags.optional("kwargs").ifPresent(file -> kwargs.putAll(readKwargs(Path.of(file))));
        flags.optional("template-name").ifPresent(n -> kwargs.put("chat_template", n));
        ChatTemplate template = ChatTemplate.find(model, () -> now != null ? now : LocalDateTime.now()).orElseThrow(() -> new IllegalArgumentException(
                model + ": no chat template (looked for chat_template.jinja, chat_template.json and the chat_template "
                        + "of tokenizer_config.json)"));
        String prompt;
        try {
            prompt = template.render(messages, flags.has("add-generation-prompt"), kwargs);
        } catch (TemplateRaisedError e) {
            throw new IllegalStateException(template.origin() + ": the template raised: " + e.getMessage());
        }
        // Bytes, not a PrintStream's print: the prompt must reach stdout as UTF-8 whatever the locale.
        out.writeBytes(prompt.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return 0;
    }

    private static LocalDateTime time(String text) {
        try {
            return LocalDateTime.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new UsageException("--now expects a local date and time like 2025-03-07T09:05:02, got '" + text + "'");
        }
    }

    /** A JSON list of messages, or an object holding one under "messages" (a fixture case line). */
    static List<?> readMessages(Path file) {
        JsonValue v = Json.readFile(file);
        if (v instanceof JsonObject o) v = o.requireArray("messages");
        if (!(v instanceof JsonArray a)) throw new IllegalArgumentException(file + ": expected a JSON list of messages, found " + v.describe());
        for (int i = 0; i < a.size(); i++) {
            if (!(a.get(i) instanceof JsonObject))
                throw new IllegalArgumentException(file + ": message " + i + " should be an object {\"role\", \"content\"}, found " + a.get(i).describe());
        }
        return (List<?>) PlainValues.fromJson(a);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readKwargs(Path file) {
        JsonValue v = Json.readFile(file);
        if (!(v instanceof JsonObject o)) throw new IllegalArgumentException(file + ": expected one JSON object of keyword arguments, found " + v.describe());
        return (Map<String, Object>) PlainValues.fromJson(o);
    }
}
