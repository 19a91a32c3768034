package dev.akvq.template;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * transformers' {@code tojson} filter (utils/chat_template_utils.py, v4.47.1, commit 241c04d3):
 * {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)},
 * not Jinja2's HTML-safe one. So separators are {@code ", "} and {@code ": "} (with an indent,
 * {@code ","} and {@code ": "}), non-ASCII stays as written, floats print as Python's repr,
 * NaN and infinities as {@code NaN} and {@code Infinity}, and keys keep insertion order.
 */
final class JsonDump {
    private JsonDump() {}

    static String dumps(Object value, CallArgs a) {
        boolean ensureAscii = a.bool(0, "ensure_ascii", false);
        Object indentArg = a.get(1, "indent", null);
        Object separators = a.get(2, "separators", null);
        boolean sortKeys = a.bool(3, "sort_keys", false);
        String indent = switch (indentArg) {
            case null -> null;
            case String s -> s;
            case Long n -> " ".repeat((int) Math.max(0, Math.min(n, 1 << 10)));
            case Boolean b -> b ? " " : "";
            default -> throw TemplateRuntimeError.of("tojson: indent must be an integer or a string, not " + Py.typeName(indentArg));
        };
        String itemSep = indent == null ? ", " : ",", keySep = ": ";
        if (separators != null) {
            if (!(separators instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof String) || !(l.get(1) instanceof String))
                throw TemplateRuntimeError.of("tojson: separators must be a pair of strings");
            itemSep = (String) l.get(0);
            keySep = (String) l.get(1);
        }
        StringBuilder b = new StringBuilder();
        new JsonDumper(ensureAscii, indent, itemSep, keySep, sortKeys, b).write(value, 0);
        return b.toString();
    }

    private record JsonDumper(boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys,
            StringBuilder out, IdentityHashMap<Object, Boolean> open) {
        JsonDumper(boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys, StringBuilder out) {
            this(ensureAscii, indent, itemSep, keySep, sortKeys, out, new IdentityHashMap<>());
        }

        void write(Object v, int level) {
            if (out.length() > Limits.DEFAULT.maxChars()) throw TemplateRuntimeError.of("tojson: the output exceeds the size limit");
            switch (v) {
                case null -> out.append("null");
                case Boolean b -> out.append(b ? "true" : "false");
                case Long l -> out.append(l);
                case Double d -> out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.floatRepr(d));
                case String s -> string(s);
                case List<?> l when l instanceof PyRange || l instanceof DictView ->
                        throw TemplateRuntimeError.of("Object of type " + Py.typeName(l) + " is not JSON serializable");
                case List<?> l -> {
                    enter(l);
                    if (l.isEmpty()) {
                        out.append("[]");
                    } else {
                        out.append('[');
                        for (int i = 0; i < l.size(); i++) {
                            if (i > 0) out.append(itemSep);
                            newline(level + 1);
                            write(l.get(i), level + 1);
                        }
                        newline(level);
                        out.append(']');
                    }
                    open.remove(l);
                }
                case Map<?, ?> m -> {
                    enter(m);
                    if (m.isEmpty()) {
                        out.append("{}");
                    } else {
                        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
                        if (sortKeys) entries.sort((x, y) -> Py.compare(x.getKey(), y.getKey(), "<"));
                        out.append('{');
                        boolean first = true;
                        for (Map.Entry<?, ?> e : entries) {
                            if (!first) out.append(itemSep);
                            first = false;
                            newline(level + 1);
                            string(key(e.getKey()));
                            out.append(keySep);
                            write(e.getValue(), level + 1);
                        }
                        newline(level);
                        out.append('}');
                    }
                    open.remove(m);
                }
                default -> throw TemplateRuntimeError.of("Object of type " + Py.typeName(v) + " is not JSON serializable");
            }
        }

        private void enter(Object container) {
            if (open.put(container, true) != null) throw TemplateRuntimeError.of("Circular reference detected");
            if (open.size() > 512) throw TemplateRuntimeError.of("tojson: nesting deeper than 512 levels");
        }

        private void newline(int level) {
            if (indent == null) return;
            out.append('\n');
            for (int i = 0; i < level; i++) out.append(indent);
        }

        private static String key(Object k) {
            return switch (k) {
                case String s -> s;
                case null -> "null";
                case Boolean b -> b ? "true" : "false";
                case Long l -> l.toString();
                case Double d -> Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.floatRepr(d);
                default -> throw TemplateRuntimeError.of("keys must be str, int, float, bool or None, not " + Py.typeName(k));
            };
        }

        private void string(String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) out.append(String.format("\\u%04x", (int) c));
                        else out.append(c);
                    }
                }
            }
            out.append('"');
        }
    }
}
