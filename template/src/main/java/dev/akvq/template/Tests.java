package dev.akvq.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's builtin tests (jinja2/tests.py, 3.1.2): {@code x is defined}, {@code x is string}, ... */
final class Tests {
    private Tests() {}

    private static final Set<String> NAMES = Set.of("boolean", "callable", "defined", "divisibleby", "eq", "equalto",
            "escaped", "even", "false", "filter", "float", "ge", "gt", "greaterthan", "in", "integer", "iterable", "le",
            "lessthan", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "test",
            "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">=");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static Object apply(String name, Object v, CallArgs a, Renderer r) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> Py.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map<?, ?>;
            case "iterable" -> v instanceof String || v instanceof List<?> || v instanceof Map<?, ?> || v instanceof Undefined
                    || v instanceof LoopContext || v instanceof LazyIterator;
            case "sequence" -> v instanceof String || (v instanceof List<?> && !(v instanceof DictView)) || v instanceof Map<?, ?> || v instanceof Undefined;
            case "callable" -> v instanceof TemplateFunction || v instanceof Undefined;
            case "escaped" -> false;
            case "lower" -> v instanceof String s ? StringMethods.bind(s, "islower").call(List.of(), Map.of()) : false;
            case "upper" -> v instanceof String s ? StringMethods.bind(s, "isupper").call(List.of(), Map.of()) : false;
            case "odd", "even" -> Py.eq(Operators.binary("%", v, 2L, r.limits), name.equals("odd") ? 1L : 0L);
            case "divisibleby" -> {
                Object n = a.get(0, "num", CallArgs.REQUIRED);
                Object rem = Operators.binary("%", v, n, r.limits);
                yield Py.eq(rem, 0L);
            }
            case "eq", "equalto", "==" -> Py.eq(v, a.get(0, "other", CallArgs.REQUIRED));
            case "ne", "!=" -> !Py.eq(v, a.get(0, "other", CallArgs.REQUIRED));
            case "lt", "lessthan", "<" -> Renderer.compare("<", v, a.get(0, "other", CallArgs.REQUIRED));
            case "le", "<=" -> Renderer.compare("<=", v, a.get(0, "other", CallArgs.REQUIRED));
            case "gt", "greaterthan", ">" -> Renderer.compare(">", v, a.get(0, "other", CallArgs.REQUIRED));
            case "ge", ">=" -> Renderer.compare(">=", v, a.get(0, "other", CallArgs.REQUIRED));
            case "in" -> Operators.contains(a.get(0, "seq", CallArgs.REQUIRED), v);
            case "sameas" -> sameAs(v, a.get(0, "other", CallArgs.REQUIRED));
            case "filter" -> v instanceof String s && Filters.exists(s);
            case "test" -> v instanceof String s && exists(s);
            default -> throw TemplateRuntimeError.of("no test named '" + name + "'");
        };
    }

    /** Python's {@code is}: None, booleans and small integers are singletons; otherwise identity. */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null) return a == b;
        if (a instanceof Boolean || b instanceof Boolean) return a.equals(b);
        if (a instanceof Long x && b instanceof Long y) return x.equals(y) && x >= -5 && x <= 256 || a == b;
        if (a instanceof Undefined && b instanceof Undefined) return a == b;
        return a == b;
    }
}
