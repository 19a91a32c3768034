package dev.akvq.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics for the plain values a template sees: None is {@code null}, bool
 * {@link Boolean}, int {@link Long}, float {@link Double}, str {@link String} (indexed by code
 * point), list {@link List}, tuple {@link Tuple}, dict {@link Map} (insertion order). Here:
 * truthiness, {@code str()}, {@code repr()}, equality, ordering, type names, whitespace.
 */
final class Py {
    private Py() {}

    /** Python's str.isspace() for one char, which is also what re's \s matches. */
    static boolean isSpace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', '\u0085', '\u00a0',
                 '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }

    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    static String lstrip(String s) {
        int start = 0;
        while (start < s.length() && isSpace(s.charAt(start))) start++;
        return s.substring(start);
    }

    static String strip(String s) {
        return lstrip(rstrip(s));
    }

    /** str.strip(chars) with an explicit set of characters; {@code chars == null} strips whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        if (chars == null) return left && right ? strip(s) : left ? lstrip(s) : rstrip(s);
        int start = 0, end = s.length();
        while (left && start < end && chars.indexOf(s.codePointAt(start)) >= 0) start += Character.charCount(s.codePointAt(start));
        while (right && end > start && chars.indexOf(s.codePointBefore(end)) >= 0) end -= Character.charCount(s.codePointBefore(end));
        return s.substring(start, end);
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case PyRange r -> "range";
            case DictView view -> view.kind;
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Namespace n -> "Namespace";
            case LazyIterator g -> g.name.equals("list_reverseiterator") ? g.name : "generator";
            case Undefined u -> "Undefined";
            case Macro m -> "Macro";
            case LoopContext l -> "LoopContext";
            case TemplateFunction f -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    /** Jinja2's object_type_repr: "None", or "dict object", as its undefined messages write it. */
    static String objectTypeRepr(Object v) {
        if (v == null) return "None";
        if (v instanceof Undefined) return "jinja2.runtime.Undefined object";
        return typeName(v) + " object";
    }

    static boolean isInteger(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : (Long) v;
    }

    static double asDouble(Object v) {
        return v instanceof Double d ? d : asLong(v);
    }

    // ---- str() and repr() -------------------------------------------------------------------

    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    static String repr(Object v) {
        StringBuilder b = new StringBuilder();
        repr(v, b, new IdentityHashMap<>());
        return b.toString();
    }

    private static void repr(Object v, StringBuilder b, IdentityHashMap<Object, Boolean> seen) {
        switch (v) {
            case null -> b.append("None");
            case Boolean x -> b.append(x ? "True" : "False");
            case Long x -> b.append(x);
            case Double x -> b.append(floatRepr(x));
            case String s -> reprString(s, b);
            case Undefined u -> b.append("Undefined");
            case PyRange r -> b.append(r.repr());
            case DictView view -> {
                b.append(view.kind).append('(');
                repr(new ArrayList<>(view), b, seen);
                b.append(')');
            }
            case List<?> l -> {
                if (seen.put(l, true) != null) { b.append(l instanceof Tuple ? "(...)" : "[...]"); return; }
                boolean tuple = l instanceof Tuple;
                b.append(tuple ? '(' : '[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(", ");
                    repr(l.get(i), b, seen);
                }
                if (tuple && l.size() == 1) b.append(',');
                b.append(tuple ? ')' : ']');
                seen.remove(l);
            }
            case Map<?, ?> m -> {
                if (seen.put(m, true) != null) { b.append("{...}"); return; }
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(", ");
                    first = false;
                    repr(e.getKey(), b, seen);
                    b.append(": ");
                    repr(e.getValue(), b, seen);
                }
                b.append('}');
                seen.remove(m);
            }
            case Namespace ns -> {
                if (seen.put(ns, true) != null) { b.append("<Namespace {...}>"); return; }
                b.append("<Namespace ");
                repr(ns.attributes, b, seen);
                b.append('>');
                seen.remove(ns);
            }
            case Macro m -> b.append("<Macro '").append(m.name()).append("'>");
            case LazyIterator g -> b.append(g.name.equals("list_reverseiterator") ? "<list_reverseiterator object>" : "<generator object " + g.name + ">");
            case LoopContext l -> b.append("<LoopContext ").append(l.index0 + 1).append('/').append(l.length()).append('>');
            default -> b.append('<').append(typeName(v)).append(" object>");
        }
    }

    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        // Double.toString gives the shortest round-trip digits (JDK 19+), as Python's repr does;
        // only the layout differs: Python switches to exponent form below 1e-4 and from 1e16.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();
        StringBuilder b = new StringBuilder();
        if (d < 0) b.append('-');
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) b.append("0.").append("0".repeat(-decpt)).append(digits);
            else if (decpt >= digits.length()) b.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            else b.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) b.append('.').append(digits, 1, digits.length());
            int exp = decpt - 1;
            b.append('e').append(exp < 0 ? '-' : '+');
            if (Math.abs(exp) < 10) b.append('0');
            b.append(Math.abs(exp));
        }
        return b.toString();
    }

    private static void reprString(String s, StringBuilder b) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') b.append('\\').appendCodePoint(cp);
            else if (cp == '\t') b.append("\\t");
            else if (cp == '\n') b.append("\\n");
            else if (cp == '\r') b.append("\\r");
            else if (isPrintable(cp)) b.appendCodePoint(cp);
            else if (cp < 0x100) b.append(String.format("\\x%02x", cp));
            else if (cp < 0x10000) b.append(String.format("\\u%04x", cp));
            else b.append(String.format("\\U%08x", cp));
        }
        b.append(quote);
    }

    /** Python's str.isprintable for one code point: not Other (Cc Cf Cs Co Cn) nor a separator but space. */
    static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    // ---- equality and ordering -------------------------------------------------------------

    static boolean eq(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return asDouble(a) == asDouble(b);
            return asLong(a) == asLong(b);
        }
        if (a instanceof String s) return b instanceof String t && s.equals(t);
        if (a instanceof Undefined) return b instanceof Undefined;
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (!sameSequenceType(a, b) || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a.equals(b) && !(a instanceof Namespace);
    }

    /** list, tuple, range and dict views are different types: none equals another. */
    static boolean sameSequenceType(Object a, Object b) {
        return a.getClass() == b.getClass() || (a instanceof Tuple && b instanceof Tuple)
                || (isPlainList(a) && isPlainList(b));
    }

    static boolean isPlainList(Object v) {
        return v instanceof List<?> && !(v instanceof Tuple) && !(v instanceof PyRange) && !(v instanceof DictView);
    }

    /** Python's ordering; a TypeError (as a runtime error) for types that do not order. */
    static int compare(Object a, Object b, String op) {
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                double x = asDouble(a), y = asDouble(b);
                return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2; // 2: unordered (a NaN), false for every operator
            }
            return Long.compare(asLong(a), asLong(b));
        }
        if (a instanceof String s && b instanceof String t) return compareCodePoints(s, t);
        if (a instanceof List<?> x && b instanceof List<?> y && sameSequenceType(a, b) && !(a instanceof DictView) && !(a instanceof PyRange)) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), op);
            }
            return Integer.compare(x.size(), y.size());
        }
        throw TemplateRuntimeError.of("'" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    static int compareCodePoints(String s, String t) {
        int i = 0, j = 0;
        while (i < s.length() && j < t.length()) {
            int a = s.codePointAt(i), b = t.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(s.length() - i, t.length() - j);
    }

    // ---- strings as sequences of code points ----------------------------------------------

    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** The code points of s as one-character strings, as iterating a Python str gives them. */
    static List<Object> characters(String s) {
        List<Object> out = new ArrayList<>(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            out.add(s.substring(i, i + n));
            i += n;
        }
        return out;
    }
}
