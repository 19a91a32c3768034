package dev.akvq.weights.json;

import java.util.Objects;

/** A JSON string, escapes resolved. */
public record JsonString(String value) implements JsonValue {
    public JsonString {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String describe() {
        String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
        return "the string \"" + shown + "\"";
    }
}
