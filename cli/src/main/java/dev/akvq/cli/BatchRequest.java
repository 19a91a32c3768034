package dev.akvq.cli;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One line of {@code akvq batch}'s requests file, checked field by field:
 * {@code {"id": "q1", "prompt": "...", "images": ["a.png"], "max_new_tokens": 32,
 * "temperature": 0.7, "top_p": 0.9, "seed": 7, "kv": "akvq --kv-window 32"}}; {@code id} and
 * {@code prompt} are required, or instead of {@code prompt}, {@code prompt_ids}: token ids with the
 * image tokens already expanded (as {@code run --prompt-ids}; for checkpoints without a tokenizer).
 * Image paths are relative to the requests file's folder.
 *
 * @param line the line number in the requests file, from 1
 */
record BatchRequest(int line, String id, Optional<String> prompt, Optional<int[]> promptIds, List<Path> images, OptionalInt maxNewTokens, OptionalDouble temperature,
                    OptionalDouble topP, OptionalLong seed, Optional<String> kv) {

    static final Set<String> FIELDS = Set.of("id", "prompt", "prompt_ids", "images", "max_new_tokens", "temperature", "top_p", "seed", "kv");

    /** A line that cannot become a request: its error record says why (and its id when it had one). */
    static final class BadLine extends RuntimeException {
        final int line;
        final Optional<String> id;

        BadLine(int line, Optional<String> id, String message) {
            super(message);
            this.line = line;
            this.id = id;
        }
    }

    /** Parses line {@code line} of {@code source} ({@code base}: the requests file's folder). */
    static BatchRequest parse(String text, int line, Path source, Path base) {
        JsonObject o;
        try {
            JsonValue v = Json.parse(text, source + " line " + line);
            if (!(v instanceof JsonObject obj)) throw new BadLine(line, Optional.empty(), "expected a JSON object, found " + v.describe());
            o = obj;
        } catch (BadLine e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadLine(line, Optional.empty(), e.getMessage());
        }
        Optional<String> id = o.get("id").map(v -> v instanceof JsonString s ? s.value() : v instanceof JsonNumber n ? n.text() : null);
        if (id.isEmpty()) throw new BadLine(line, Optional.empty(), "\"id\": a string is required");
        try {
            for (String key : o.keys()) {
                if (!FIELDS.contains(key)) throw new IllegalArgumentException("unknown field \"" + key + "\"; expected one of " + FIELDS);
            }
            Optional<String> prompt = o.optString("prompt");
            Optional<int[]> promptIds = o.optIntList("prompt_ids").map(l -> l.stream().mapToInt(Integer::intValue).toArray());
            if (prompt.isPresent() == promptIds.isPresent()) throw new IllegalArgumentException("give \"prompt\" (text) or \"prompt_ids\", one of them");
            if (promptIds.isPresent() && promptIds.get().length == 0) throw new IllegalArgumentException("\"prompt_ids\" is empty");
            List<Path> images = new ArrayList<>();
            Optional<JsonArray> list = o.optArray("images");
            if (list.isPresent()) {
                for (JsonValue v : list.get().elements()) {
                    if (!(v instanceof JsonString s)) throw new IllegalArgumentException("\"images\": paths (strings) expected, found " + v.describe());
                    images.add(base.resolve(s.value()));
                }
            }
            OptionalInt maxNew = o.optInt("max_new_tokens").map(OptionalInt::of).orElse(OptionalInt.empty());
            if (maxNew.isPresent() && maxNew.getAsInt() < 1) throw new IllegalArgumentException("\"max_new_tokens\" must be >= 1, got " + maxNew.getAsInt());
            OptionalDouble temperature = o.optDouble("temperature").map(OptionalDouble::of).orElse(OptionalDouble.empty());
            if (temperature.isPresent() && !(temperature.getAsDouble() >= 0 && Double.isFinite(temperature.getAsDouble()))) {
                throw new IllegalArgumentException("\"temperature\" must be a finite number >= 0, got " + temperature.getAsDouble());
            }
            OptionalDouble topP = o.optDouble("top_p").map(OptionalDouble::of).orElse(OptionalDouble.empty());
            if (topP.isPresent() && !(topP.getAsDouble() > 0 && topP.getAsDouble() <= 1)) {
                throw new IllegalArgumentException("\"top_p\" must be in (0, 1], got " + topP.getAsDouble());
            }
            OptionalLong seed = o.optLong("seed").map(OptionalLong::of).orElse(OptionalLong.empty());
            return new BatchRequest(line, id.get(), prompt, promptIds, List.copyOf(images), maxNew, temperature, topP, seed, o.optString("kv"));
        } catch (RuntimeException e) {
            throw new BadLine(line, id, e.getMessage());
        }
    }
}
