package dev.akvq.weights.json;

/** {@code true} or {@code false}. */
public record JsonBoolean(boolean value) implements JsonValue {
    @Override
    public String describe() {
        return "the boolean " + value;
    }
}
