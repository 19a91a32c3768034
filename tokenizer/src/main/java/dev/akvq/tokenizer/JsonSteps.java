package dev.akvq.tokenizer;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reads the list of steps of a "Sequence" normalizer, pre-tokenizer, post-processor or decoder. */
final class JsonSteps {
    private JsonSteps() {}

    /**
     * Each element of {@code parent[key]}, which must be an object, read with {@code read}. An
     * error inside an element is reported under the list's field and the element's index, since
     * array elements do not carry their path.
     */
    static <T> List<T> read(JsonObject parent, String key, Function<JsonObject, T> read) {
        List<JsonValue> list = parent.requireArray(key).elements();
        List<T> steps = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof JsonObject step))
                throw parent.fieldError(key, "element " + i + ": expected an object, found " + list.get(i).describe());
            try {
                steps.add(read.apply(step));
            } catch (WeightsFormatException e) {
                String message = e.getMessage(), prefix = parent.sourceName() + ": ";
                throw parent.fieldError(key, "element " + i + ": " + (message.startsWith(prefix) ? message.substring(prefix.length()) : message));
            }
        }
        return steps;
    }
}
