package dev.akvq.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attribute and item access as Jinja2's sandbox does it (sandbox.py, {@code getattr} and
 * {@code getitem}). {@code a.b} looks for Python's attribute first (a method of str, list or
 * dict, a namespace's value) and then the key {@code 'b'}; {@code a['b']} looks for the key first
 * and then the attribute. A miss is {@link Undefined}, not an error; on an undefined value it is
 * an error. The methods that mutate a list or dict are unsafe in the immutable sandbox: reading
 * them gives an undefined whose use raises Jinja2's SecurityError message.
 */
final class Access {
    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "MISSING";
        }
    };

    private static final Set<String> UNSAFE_LIST = Set.of("append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort");
    private static final Set<String> UNSAFE_DICT = Set.of("clear", "pop", "popitem", "setdefault", "update");

    private Access() {}

    static Object getAttr(Object obj, String name) {
        if (obj instanceof Undefined u) throw u.error();
        Object attr = attribute(obj, name);
        if (attr != MISSING) return attr;
        Object item = item(obj, name);
        return item != MISSING ? item : Undefined.missing(obj, name);
    }

    static Object getItem(Object obj, Object key) {
        if (obj instanceof Undefined u) throw u.error();
        Object item = item(obj, key);
        if (item != MISSING) return item;
        if (key instanceof String name) {
            Object attr = attribute(obj, name);
            if (attr != MISSING) return attr;
        }
        return Undefined.missing(obj, key);
    }

    /** Python's {@code obj[key]}, or MISSING where Python raises. */
    static Object item(Object obj, Object key) {
        if (obj == null) return MISSING;
        switch (obj) {
            case Map<?, ?> m -> {
                return findKey(m, key);
            }
            case DictView v -> {
                return MISSING;
            }
            case List<?> l -> {
                if (!Py.isInteger(key)) return MISSING;
                long i = Py.asLong(key);
                if (i < 0) i += l.size();
                return i >= 0 && i < l.size() ? l.get((int) i) : MISSING;
            }
            case String s -> {
                if (!Py.isInteger(key)) return MISSING;
                long i = Py.asLong(key);
                boolean simple = s.length() == s.codePointCount(0, s.length());
                int n = simple ? s.length() : Py.length(s);
                if (i < 0) i += n;
                if (i < 0 || i >= n) return MISSING;
                if (simple) return String.valueOf(s.charAt((int) i));
                int at = s.offsetByCodePoints(0, (int) i);
                return s.substring(at, at + Character.charCount(s.codePointAt(at)));
            }
            default -> {
                return MISSING;
            }
        }
    }

    /** A dict's value for {@code key}; numbers match across int, float and bool as Python hashes them. */
    static Object findKey(Map<?, ?> m, Object key) {
        Object v = m.get(key);
        if (v != null || m.containsKey(key)) return v;
        if (Py.isNumber(key)) {
            for (Map.Entry<?, ?> e : m.entrySet()) if (Py.isNumber(e.getKey()) && Py.eq(e.getKey(), key)) return e.getValue();
        }
        return MISSING;
    }

    /** Python's {@code getattr(obj, name)} for the values a template sees, or MISSING. */
    static Object attribute(Object obj, String name) {
        if (obj == null) return MISSING;
        switch (obj) {
            case String s -> {
                TemplateFunction f = StringMethods.bind(s, name);
                return f != null ? f : MISSING;
            }
            case Tuple t -> {
                Object a = t.attribute(name);
                if (a != null) return a;
                TemplateFunction f = SequenceMethods.bind(t, name);
                return f != null ? f : MISSING;
            }
            case PyRange r -> {
                return switch (name) {
                    case "start" -> r.start;
                    case "stop" -> r.stop;
                    case "step" -> r.step;
                    default -> MISSING;
                };
            }
            case DictView v -> {
                return MISSING;
            }
            case List<?> l -> {
                if (UNSAFE_LIST.contains(name)) return unsafe(obj, name);
                TemplateFunction f = SequenceMethods.bind(l, name);
                return f != null ? f : MISSING;
            }
            case Map<?, ?> m -> {
                if (UNSAFE_DICT.contains(name)) return unsafe(obj, name);
                TemplateFunction f = SequenceMethods.bind(m, name);
                return f != null ? f : MISSING;
            }
            case Namespace ns -> {
                return ns.attributes.containsKey(name) ? ns.attributes.get(name) : MISSING;
            }
            case HasAttributes h -> {
                return h.attribute(name);
            }
            default -> {
                return MISSING;
            }
        }
    }

    private static Undefined unsafe(Object obj, String name) {
        return new Undefined("access to attribute " + Py.repr(name) + " of " + Py.repr(Py.typeName(obj)) + " object is unsafe.");
    }
}
