package dev.akvq.template;

import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonBoolean;
import dev.akvq.weights.json.JsonNull;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only values a template sees (the sandbox): null, Boolean, Long, Double, String, lists and
 * maps of them (insertion order kept), and {@link TemplateFunction}s the environment provides.
 * Everything handed to a render is copied into this form; any other Java object is refused.
 */
public final class PlainValues {
    private PlainValues() {}

    /** A deep copy of {@code value} as plain values; Integer, Short, Byte widen, Float widens. */
    public static Object of(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d -> d;
            case Float f -> (double) f;
            case TemplateFunction f -> f;
            case JsonValue j -> fromJson(j);
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object o : l) out.add(of(o));
                yield out;
            }
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.put(of(e.getKey()), of(e.getValue()));
                yield out;
            }
            default -> throw new IllegalArgumentException("a template sees only plain values (null, boolean, number, "
                    + "string, list, map), not " + value.getClass().getName());
        };
    }

    /** JSON as Python's json.loads gives it: an integer literal is an int, any other number a float. */
    public static Object fromJson(JsonValue value) {
        return switch (value) {
            case JsonNull n -> null;
            case JsonBoolean b -> b.value();
            case JsonString s -> s.value();
            case JsonNumber n -> n.isIntegerLiteral() && n.longValueExact().isPresent() ? (Object) n.longValueExact().get() : (Object) n.doubleValue();
            case JsonArray a -> {
                List<Object> out = new ArrayList<>(a.size());
                for (int i = 0; i < a.size(); i++) out.add(fromJson(a.get(i)));
                yield out;
            }
            case JsonObject o -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<String, JsonValue> e : o.members().entrySet()) out.put(e.getKey(), fromJson(e.getValue()));
                yield out;
            }
        };
    }
}
