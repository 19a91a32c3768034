package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * The arguments of one call to a builtin (method, filter, test, global), read by position or
 * keyword as Python binds them, with a TypeError naming the function when one is missing or
 * of the wrong type.
 */
record CallArgs(String function, List<Object> positional, Map<String, Object> keywords) {
    static final Object REQUIRED = new Object();

    int size() {
        return positional.size();
    }

    /** Argument {@code index} or keyword {@code name}; {@code fallback} when absent (REQUIRED: an error). */
    Object get(int index, String name, Object fallback) {
        if (index >= 0 && index < positional.size()) return positional.get(index);
        if (name != null && keywords.containsKey(name)) return keywords.get(name);
        if (fallback == REQUIRED) throw TemplateRuntimeError.of(function + "() missing required argument: '" + name + "'");
        return fallback;
    }

    String string(int index, String name, String fallback) {
        Object v = get(index, name, fallback == null ? REQUIRED : fallback);
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        throw TemplateRuntimeError.of(function + "() argument '" + name + "' must be str, not " + Py.typeName(v));
    }

    /** A string argument that may be None (Python's {@code chars=None}). */
    String optionalString(int index, String name) {
        Object v = get(index, name, null);
        if (v == null || v instanceof String) return (String) v;
        throw TemplateRuntimeError.of(function + "() argument '" + name + "' must be str or None, not " + Py.typeName(v));
    }

    long integer(int index, String name, long fallback) {
        Object v = get(index, name, fallback);
        if (Py.isInteger(v)) return Py.asLong(v);
        throw TemplateRuntimeError.of(function + "() argument '" + name + "' must be an integer, not " + Py.typeName(v));
    }

    boolean bool(int index, String name, boolean fallback) {
        return Py.truthy(get(index, name, fallback));
    }

    void atMost(int count) {
        if (positional.size() > count)
            throw TemplateRuntimeError.of(function + "() takes at most " + count + " positional argument(s) (" + positional.size() + " given)");
    }
}
