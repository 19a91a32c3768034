package dev.akvq.weights.json;

import java.util.List;

/** A JSON array; the list is unmodifiable. */
public record JsonArray(List<JsonValue> elements) implements JsonValue {
    public JsonArray {
        elements = List.copyOf(elements);
    }

    public int size() {
        return elements.size();
    }

    public JsonValue get(int index) {
        return elements.get(index);
    }

    @Override
    public String describe() {
        return "an array of " + elements.size() + " elements";
    }
}
