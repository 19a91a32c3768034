package dev.akvq.server;

import dev.akvq.image.DecodedImage;
import dev.akvq.server.GenerationRequest.ImagePart;
import dev.akvq.server.GenerationRequest.Message;
import dev.akvq.server.GenerationRequest.Part;
import dev.akvq.server.GenerationRequest.TextPart;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonBoolean;
import dev.akvq.weights.json.JsonNull;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The body of {@code /v1/chat/completions} or {@code /v1/completions}, checked field by field
 * against OpenAI's API reference: every known field must have its type (a 400 names it), the
 * features this server does not have are refused rather than ignored (n &gt; 1, tools, logprobs,
 * penalties, JSON mode), and fields it does not know are ignored, as OpenAI-compatible servers do.
 */
final class RequestParser {
    /** At most this many images in one request (each costs a tower pass). */
    static final int MAX_IMAGES = 64;
    /** OpenAI's limit on stop sequences. */
    static final int MAX_STOP = 4;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private final ImageInput images;

    RequestParser(ImageInput images) {
        this.images = images;
    }

    /** What the HTTP layer needs besides the generation itself. */
    record Parsed(GenerationRequest request, boolean stream, boolean includeUsage) {}

    Parsed chat(JsonObject body) {
        JsonArray messagesJson = body.get("messages").map(v -> array(v, "messages"))
                .orElseThrow(() -> ApiError.invalid("messages", "'messages' is required: an array of {role, content}"));
        if (messagesJson.size() == 0) throw ApiError.invalid("messages", "'messages' must hold at least one message");
        List<Message> messages = new ArrayList<>();
        List<DecodedImage> decoded = new ArrayList<>();
        for (int i = 0; i < messagesJson.size(); i++) {
            String at = "messages[" + i + "]";
            JsonObject m = object(messagesJson.get(i), at);
            String given = m.get("role").map(v -> string(v, at + ".role"))
                    .orElseThrow(() -> ApiError.invalid(at + ".role", at + " has no 'role'"));
            if (!ROLES.contains(given)) {
                throw ApiError.invalid(at + ".role", at + ".role is '" + given + "'; expected system, developer, user or assistant"
                        + " (tool messages are not supported)");
            }
            String role = given.equals("developer") ? "system" : given;
            List<Part> parts = new ArrayList<>();
            JsonValue content = m.get("content").orElse(JsonNull.INSTANCE);
            switch (content) {
                case JsonString s -> parts.add(new TextPart(s.value()));
                case JsonArray a -> {
                    for (int j = 0; j < a.size(); j++) parts.add(part(a.get(j), at + ".content[" + j + "]", role, decoded));
                }
                case JsonNull n when role.equals("assistant") -> { }
                default -> throw ApiError.invalid(at + ".content", at + ".content must be a string or an array of content parts,"
                        + " found " + content.describe());
            }
            if (m.has("tool_calls") && !(m.get("tool_calls").get() instanceof JsonNull)) {
                throw ApiError.invalid(at + ".tool_calls", "tool calls are not supported");
            }
            messages.add(new Message(role, parts));
        }
        if (body.has("max_tokens") && body.has("max_completion_tokens")) {
            throw ApiError.invalid("max_tokens", "give max_tokens or max_completion_tokens, not both");
        }
        OptionalInt max = positiveInt(body, "max_completion_tokens");
        if (max.isEmpty()) max = positiveInt(body, "max_tokens");
        refuseUnsupported(body);
        for (String f : List.of("tools", "functions")) {
            if (body.get(f).filter(v -> !(v instanceof JsonNull) && !(v instanceof JsonArray a && a.size() == 0)).isPresent()) {
                throw ApiError.invalid(f, "tool and function calling are not supported by this server");
            }
        }
        body.get("response_format").ifPresent(v -> {
            JsonObject o = object(v, "response_format");
            String type = o.get("type").map(t -> string(t, "response_format.type")).orElse("text");
            if (!type.equals("text")) throw ApiError.invalid("response_format", "response_format '" + type + "' is not supported; only text");
        });
        return parsed(body, new GenerationRequest.Chat(messages), decoded, max);
    }

    Parsed completion(JsonObject body) {
        JsonValue p = body.get("prompt").orElseThrow(() -> ApiError.invalid("prompt", "'prompt' is required: a string"));
        String prompt = switch (p) {
            case JsonString s -> s.value();
            case JsonArray a when a.size() == 1 && a.get(0) instanceof JsonString s -> s.value();
            default -> throw ApiError.invalid("prompt", "'prompt' must be a string (or an array of one string), found " + p.describe());
        };
        OptionalInt max = positiveInt(body, "max_tokens");
        refuseUnsupported(body);
        if (body.get("echo").filter(v -> v instanceof JsonBoolean b && b.value()).isPresent()) {
            throw ApiError.invalid("echo", "echo is not supported");
        }
        if (body.get("suffix").filter(v -> !(v instanceof JsonNull)).isPresent()) {
            throw ApiError.invalid("suffix", "suffix is not supported");
        }
        if (body.get("best_of").filter(v -> !(v instanceof JsonNull) && !isOne(v)).isPresent()) {
            throw ApiError.invalid("best_of", "best_of must be 1");
        }
        return parsed(body, new GenerationRequest.Text(prompt), List.of(), max);
    }

    private Parsed parsed(JsonObject body, GenerationRequest.Prompt prompt, List<DecodedImage> decoded, OptionalInt max) {
        body.get("model").ifPresent(v -> string(v, "model"));   // any model name is answered by the one model
        // Absent: NaN, the model's generation_config.json decides (greedy unless it samples), as akvq run does.
        double temperature = number(body, "temperature").orElse(Double.NaN);
        if (!Double.isNaN(temperature) && !(temperature >= 0 && temperature <= 2)) throw ApiError.invalid("temperature", "temperature must be in [0, 2], got " + temperature);
        double topP = number(body, "top_p").orElse(Double.NaN);
        if (!Double.isNaN(topP) && !(topP > 0 && topP <= 1)) throw ApiError.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        long seed = body.get("seed").filter(v -> !(v instanceof JsonNull)).map(v -> {
            if (v instanceof JsonNumber n && n.longValueExact().isPresent()) return n.longValueExact().get();
            throw ApiError.invalid("seed", "seed must be a whole number, found " + v.describe());
        }).orElseGet(() -> ThreadLocalRandom.current().nextLong());
        List<String> stop = new ArrayList<>();
        JsonValue stopJson = body.get("stop").orElse(JsonNull.INSTANCE);
        switch (stopJson) {
            case JsonNull n -> { }
            case JsonString s -> stop.add(s.value());
            case JsonArray a -> {
                for (int i = 0; i < a.size(); i++) stop.add(string(a.get(i), "stop[" + i + "]"));
            }
            default -> throw ApiError.invalid("stop", "stop must be a string or an array of strings, found " + stopJson.describe());
        }
        if (stop.size() > MAX_STOP) throw ApiError.invalid("stop", "at most " + MAX_STOP + " stop sequences, got " + stop.size());
        if (stop.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("stop", "a stop sequence must not be empty");
        boolean stream = body.get("stream").filter(v -> !(v instanceof JsonNull)).map(v -> bool(v, "stream")).orElse(false);
        boolean includeUsage = false;
        Optional<JsonValue> options = body.get("stream_options").filter(v -> !(v instanceof JsonNull));
        if (options.isPresent()) {
            if (!stream) throw ApiError.invalid("stream_options", "stream_options is only allowed with stream: true");
            JsonObject o = object(options.get(), "stream_options");
            includeUsage = o.get("include_usage").map(v -> bool(v, "stream_options.include_usage")).orElse(false);
        }
        return new Parsed(new GenerationRequest(prompt, decoded, max, temperature, topP, seed, stop), stream, includeUsage);
    }

    private void refuseUnsupported(JsonObject body) {
        if (body.get("n").filter(v -> !(v instanceof JsonNull) && !isOne(v)).isPresent()) {
            throw ApiError.invalid("n", "n must be 1: this server returns one choice per request");
        }
        for (String f : List.of("frequency_penalty", "presence_penalty")) {
            if (number(body, f).filter(x -> x != 0).isPresent()) throw ApiError.invalid(f, f + " is not supported (only 0)");
        }
        if (body.get("logprobs").filter(v -> !(v instanceof JsonNull) && !(v instanceof JsonBoolean b && !b.value())).isPresent()) {
            throw ApiError.invalid("logprobs", "logprobs are not supported");
        }
        if (body.get("logit_bias").filter(v -> !(v instanceof JsonNull) && !(v instanceof JsonObject o && o.size() == 0)).isPresent()) {
            throw ApiError.invalid("logit_bias", "logit_bias is not supported");
        }
    }

    private Part part(JsonValue v, String at, String role, List<DecodedImage> decoded) {
        JsonObject o = object(v, at);
        String type = o.get("type").map(t -> string(t, at + ".type")).orElseThrow(() -> ApiError.invalid(at + ".type", at + " has no 'type'"));
        switch (type) {
            case "text" -> {
                return new TextPart(o.get("text").map(t -> string(t, at + ".text"))
                        .orElseThrow(() -> ApiError.invalid(at + ".text", at + " of type text has no 'text'")));
            }
            case "image_url" -> {
                if (!role.equals("user")) throw ApiError.invalid(at, "images are only allowed in user messages");
                JsonValue image = o.get("image_url").orElseThrow(() -> ApiError.invalid(at + ".image_url", at + " has no 'image_url'"));
                String url = image instanceof JsonString s ? s.value()
                        : object(image, at + ".image_url").get("url").map(u -> string(u, at + ".image_url.url"))
                                .orElseThrow(() -> ApiError.invalid(at + ".image_url.url", at + ".image_url has no 'url'"));
                if (decoded.size() >= MAX_IMAGES) throw ApiError.invalid(at, "at most " + MAX_IMAGES + " images per request");
                decoded.add(images.read(url, at + ".image_url"));
                return new ImagePart(decoded.size() - 1);
            }
            default -> throw ApiError.invalid(at + ".type", "content part type '" + type + "' is not supported; expected text or image_url");
        }
    }

    private static boolean isOne(JsonValue v) {
        return v instanceof JsonNumber n && n.longValueExact().filter(x -> x == 1).isPresent();
    }

    private static OptionalInt positiveInt(JsonObject body, String key) {
        Optional<JsonValue> v = body.get(key).filter(x -> !(x instanceof JsonNull));
        if (v.isEmpty()) return OptionalInt.empty();
        if (v.get() instanceof JsonNumber n) {
            Optional<Long> l = n.longValueExact();
            if (l.isPresent() && l.get() >= 1) return OptionalInt.of((int) Math.min(Integer.MAX_VALUE, l.get()));
        }
        throw ApiError.invalid(key, key + " must be a whole number >= 1, found " + v.get().describe());
    }

    private static Optional<Double> number(JsonObject body, String key) {
        Optional<JsonValue> v = body.get(key).filter(x -> !(x instanceof JsonNull));
        if (v.isEmpty()) return Optional.empty();
        if (v.get() instanceof JsonNumber n && Double.isFinite(n.doubleValue())) return Optional.of(n.doubleValue());
        throw ApiError.invalid(key, key + " must be a number, found " + v.get().describe());
    }

    private static JsonArray array(JsonValue v, String at) {
        if (v instanceof JsonArray a) return a;
        throw ApiError.invalid(at, at + " must be an array, found " + v.describe());
    }

    private static JsonObject object(JsonValue v, String at) {
        if (v instanceof JsonObject o) return o;
        throw ApiError.invalid(at, at + " must be an object, found " + v.describe());
    }

    private static String string(JsonValue v, String at) {
        if (v instanceof JsonString s) return s.value();
        throw ApiError.invalid(at, at + " must be a string, found " + v.describe());
    }

    private static boolean bool(JsonValue v, String at) {
        if (v instanceof JsonBoolean b) return b.value();
        throw ApiError.invalid(at, at + " must be true or false, found " + v.describe());
    }
}
