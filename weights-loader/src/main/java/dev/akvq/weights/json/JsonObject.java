package dev.akvq.weights.json;

import dev.akvq.weights.WeightsFormatException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object: members in document order, keys unique (the parser rejects duplicates).
 *
 * <p>It remembers the file it came from and, when reached through {@link #optObject} or
 * {@link #requireObject}, its path in that file ({@code text_config.}), so that the typed
 * accessors used to read configs fail with a message naming the file and the full field:
 * {@code config.json: field "text_config.hidden_size": expected an integer, found the string "64"}.
 *
 * <p>An explicit {@code null} reads as absent in every {@code opt*} accessor: transformers'
 * configs treat {@code None} as "use the default" for every field that may be null
 * ({@code num_key_value_heads}, {@code head_dim}, {@code rope_scaling}, {@code sliding_window}, ...).
 */
public final class JsonObject implements JsonValue {
    private final Map<String, JsonValue> members;
    private final String sourceName;
    private final String path;

    /** A root object read from {@code sourceName}; {@code members} is copied, order kept. */
    public JsonObject(Map<String, JsonValue> members, String sourceName) {
        this(Collections.unmodifiableMap(new LinkedHashMap<>(members)), sourceName, "");
    }

    private JsonObject(Map<String, JsonValue> members, String sourceName, String path) {
        this.members = members;
        this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
        this.path = path;
    }

    /** Built by the parser, which hands over a map nobody else holds. */
    static JsonObject adopt(LinkedHashMap<String, JsonValue> members, String sourceName) {
        return new JsonObject(Collections.unmodifiableMap(members), sourceName, "");
    }

    /** The members in document order (unmodifiable). */
    public Map<String, JsonValue> members() {
        return members;
    }

    public Set<String> keys() {
        return members.keySet();
    }

    public int size() {
        return members.size();
    }

    /** The file (or other source) this object was parsed from. */
    public String sourceName() {
        return sourceName;
    }

    /** This object's place in its file, e.g. {@code "vision_config."}; empty for the root. */
    public String path() {
        return path;
    }

    /** The full name of member {@code key} as error messages write it. */
    public String fieldName(String key) {
        return path + key;
    }

    /** True when {@code key} is present, even with a null value. */
    public boolean has(String key) {
        return members.containsKey(key);
    }

    /** The member as written, null included. */
    public Optional<JsonValue> get(String key) {
        return Optional.ofNullable(members.get(key));
    }

    /** An error about member {@code key}, naming the file and the full field. */
    public WeightsFormatException fieldError(String key, String problem) {
        return new WeightsFormatException(sourceName + ": field \"" + fieldName(key) + "\": " + problem);
    }

    private Optional<JsonValue> present(String key) {
        JsonValue v = members.get(key);
        return v == null || v == JsonNull.INSTANCE ? Optional.empty() : Optional.of(v);
    }

    private WeightsFormatException wrongType(String key, String expected, JsonValue found) {
        return fieldError(key, "expected " + expected + ", found " + found.describe());
    }

    private WeightsFormatException missing(String key, String expected) {
        return new WeightsFormatException(sourceName + ": field \"" + fieldName(key) + "\" is missing; expected "
                + expected);
    }

    // ---- integers -------------------------------------------------------------------------

    public Optional<Long> optLong(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonNumber n) {
                if (!n.isIntegerLiteral()) throw wrongType(key, "an integer (no fraction or exponent)", v);
                return n.longValueExact().orElseThrow(() -> wrongType(key, "an integer within 64 bits", v));
            }
            throw wrongType(key, "an integer", v);
        });
    }

    public Optional<Integer> optInt(String key) {
        return optLong(key).map(v -> {
            if (v != (int) (long) v) throw fieldError(key, "expected an integer within 32 bits, found " + v);
            return (int) (long) v;
        });
    }

    public int intOr(String key, int defaultValue) {
        return optInt(key).orElse(defaultValue);
    }

    public int requireInt(String key) {
        return optInt(key).orElseThrow(() -> missing(key, "an integer"));
    }

    public long requireLong(String key) {
        return optLong(key).orElseThrow(() -> missing(key, "an integer"));
    }

    // ---- doubles --------------------------------------------------------------------------

    /** Any JSON number; integers widen. A literal outside double's range is an error. */
    public Optional<Double> optDouble(String key) {
        return present(key).map(v -> {
            if (!(v instanceof JsonNumber n)) throw wrongType(key, "a number", v);
            double d = n.doubleValue();
            if (Double.isInfinite(d)) throw wrongType(key, "a number within double's range", v);
            return d;
        });
    }

    public double doubleOr(String key, double defaultValue) {
        return optDouble(key).orElse(defaultValue);
    }

    public double requireDouble(String key) {
        return optDouble(key).orElseThrow(() -> missing(key, "a number"));
    }

    // ---- booleans, strings ----------------------------------------------------------------

    public Optional<Boolean> optBoolean(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonBoolean b) return b.value();
            throw wrongType(key, "true or false", v);
        });
    }

    public boolean booleanOr(String key, boolean defaultValue) {
        return optBoolean(key).orElse(defaultValue);
    }

    public boolean requireBoolean(String key) {
        return optBoolean(key).orElseThrow(() -> missing(key, "true or false"));
    }

    public Optional<String> optString(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonString s) return s.value();
            throw wrongType(key, "a string", v);
        });
    }

    public String stringOr(String key, String defaultValue) {
        return optString(key).orElse(defaultValue);
    }

    public String requireString(String key) {
        return optString(key).orElseThrow(() -> missing(key, "a string"));
    }

    // ---- objects, arrays ------------------------------------------------------------------

    /** A nested object, re-rooted so its errors name {@code this.path + key + "."}. */
    public Optional<JsonObject> optObject(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonObject o) return new JsonObject(o.members, sourceName, fieldName(key) + ".");
            throw wrongType(key, "an object", v);
        });
    }

    public JsonObject requireObject(String key) {
        return optObject(key).orElseThrow(() -> missing(key, "an object"));
    }

    public Optional<JsonArray> optArray(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonArray a) return a;
            throw wrongType(key, "an array", v);
        });
    }

    public JsonArray requireArray(String key) {
        return optArray(key).orElseThrow(() -> missing(key, "an array"));
    }

    /** An array whose every element is a 32-bit integer. */
    public Optional<List<Integer>> optIntList(String key) {
        return optArray(key).map(a -> intElements(key, a));
    }

    /**
     * A field that may be one integer or a list of them (transformers' {@code eos_token_id},
     * LLaVA's {@code vision_feature_layer}); either way a list comes back.
     */
    public Optional<List<Integer>> optIntOrIntList(String key) {
        return present(key).map(v -> {
            if (v instanceof JsonArray a) return intElements(key, a);
            if (v instanceof JsonNumber) return List.of(requireInt(key));
            throw wrongType(key, "an integer or a list of integers", v);
        });
    }

    private List<Integer> intElements(String key, JsonArray a) {
        List<Integer> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            JsonValue e = a.get(i);
            Optional<Integer> n = e instanceof JsonNumber num ? num.intValueExact() : Optional.empty();
            if (n.isEmpty()) {
                throw fieldError(key, "expected a list of 32-bit integers, found " + e.describe() + " at index " + i);
            }
            out.add(n.get());
        }
        return List.copyOf(out);
    }

    @Override
    public String describe() {
        return "an object with " + members.size() + " members";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonObject other && members.equals(other.members);
    }

    @Override
    public int hashCode() {
        return members.hashCode();
    }

    @Override
    public String toString() {
        return "JsonObject" + members;
    }
}
