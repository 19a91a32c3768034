package dev.akvq.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's operators on plain values: + - * / // % ** with int/float promotion (bool counts as
 * int), str and list concatenation and repetition, printf-style {@code str % args}, {@code in},
 * slicing and iteration. Integers are 64-bit: where Python would grow a big integer this raises.
 * Results that would exceed the size limit raise instead of being built.
 */
final class Operators {
    private Operators() {}

    static Object binary(String op, Object a, Object b, Limits limits) {
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        if (Py.isNumber(a) && Py.isNumber(b)) return arithmetic(op, a, b);
        switch (op) {
            case "+" -> {
                if (a instanceof String s && b instanceof String t) return limits.checkString(s.length() + (long) t.length(), s + t);
                if (a instanceof List<?> x && b instanceof List<?> y && (Py.isPlainList(a) && Py.isPlainList(b) || a instanceof Tuple && b instanceof Tuple)) {
                    limits.checkItems(x.size() + (long) y.size());
                    List<Object> out = new ArrayList<>(x.size() + y.size());
                    out.addAll(x);
                    out.addAll(y);
                    return a instanceof Tuple ? Tuple.of(out) : out;
                }
                if (a instanceof String) throw TemplateRuntimeError.of("can only concatenate str (not \"" + Py.typeName(b) + "\") to str");
                if (Py.isPlainList(a)) throw TemplateRuntimeError.of("can only concatenate list (not \"" + Py.typeName(b) + "\") to list");
            }
            case "*" -> {
                if (Py.isInteger(b) && (a instanceof String || Py.isPlainList(a) || a instanceof Tuple)) return repeat(a, Py.asLong(b), limits);
                if (Py.isInteger(a) && (b instanceof String || Py.isPlainList(b) || b instanceof Tuple)) return repeat(b, Py.asLong(a), limits);
            }
            case "%" -> {
                if (a instanceof String s) return limits.checkString(PrintfFormat.format(s, b));
            }
            default -> { }
        }
        throw TemplateRuntimeError.of("unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '" + Py.typeName(b) + "'");
    }

    private static Object repeat(Object seq, long times, Limits limits) {
        if (times <= 0) return seq instanceof String ? "" : seq instanceof Tuple ? new Tuple() : new ArrayList<>();
        if (seq instanceof String s) {
            limits.checkString(s.length() * times, null);
            return s.repeat((int) times);
        }
        List<?> l = (List<?>) seq;
        limits.checkItems(l.size() * times);
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < times; i++) out.addAll(l);
        return seq instanceof Tuple ? Tuple.of(out) : out;
    }

    private static Object arithmetic(String op, Object a, Object b) {
        boolean floats = a instanceof Double || b instanceof Double;
        if (op.equals("/")) {
            double y = Py.asDouble(b);
            if (y == 0) throw TemplateRuntimeError.of("division by zero");
            return Py.asDouble(a) / y;
        }
        if (floats) {
            double x = Py.asDouble(a), y = Py.asDouble(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "//" -> {
                    if (y == 0) throw TemplateRuntimeError.of("float floor division by zero");
                    yield Math.floor(x / y);
                }
                case "%" -> {
                    if (y == 0) throw TemplateRuntimeError.of("float modulo");
                    double r = x % y;
                    yield r != 0 && (r < 0) != (y < 0) ? r + y : r;
                }
                case "**" -> Math.pow(x, y);
                default -> throw new IllegalStateException(op);
            };
        }
        long x = Py.asLong(a), y = Py.asLong(b);
        try {
            return switch (op) {
                case "+" -> Math.addExact(x, y);
                case "-" -> Math.subtractExact(x, y);
                case "*" -> Math.multiplyExact(x, y);
                case "//" -> {
                    if (y == 0) throw TemplateRuntimeError.of("integer division or modulo by zero");
                    yield Math.floorDiv(x, y);
                }
                case "%" -> {
                    if (y == 0) throw TemplateRuntimeError.of("integer modulo by zero");
                    yield Math.floorMod(x, y);
                }
                case "**" -> y < 0 ? (Object) Math.pow(x, y) : power(x, y);
                default -> throw new IllegalStateException(op);
            };
        } catch (ArithmeticException e) {
            throw TemplateRuntimeError.of("integer result of " + op + " exceeds 64 bits (Python would use a big integer)");
        }
    }

    private static long power(long base, long exp) {
        long result = 1;
        while (exp > 0) {
            if ((exp & 1) == 1) result = Math.multiplyExact(result, base);
            exp >>= 1;
            if (exp > 0) base = Math.multiplyExact(base, base);
        }
        return result;
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) throw u.error();
        if (v instanceof Double d) return -d;
        if (Py.isInteger(v)) {
            long x = Py.asLong(v);
            if (x == Long.MIN_VALUE) throw TemplateRuntimeError.of("integer result of - exceeds 64 bits");
            return -x;
        }
        throw TemplateRuntimeError.of("bad operand type for unary -: '" + Py.typeName(v) + "'");
    }

    static Object plus(Object v) {
        if (v instanceof Undefined u) throw u.error();
        if (v instanceof Double) return v;
        if (Py.isInteger(v)) return Py.asLong(v);
        throw TemplateRuntimeError.of("bad operand type for unary +: '" + Py.typeName(v) + "'");
    }

    /** Python's {@code item in container}. */
    static boolean contains(Object container, Object item) {
        return switch (container) {
            case null -> throw TemplateRuntimeError.of("argument of type 'NoneType' is not iterable");
            case String s -> {
                if (item instanceof String t) yield s.contains(t);
                if (item instanceof Undefined u) throw u.error();
                throw TemplateRuntimeError.of("'in <string>' requires string as left operand, not " + Py.typeName(item));
            }
            case List<?> l -> {
                for (Object o : l) if (Py.eq(o, item)) yield true;
                yield false;
            }
            case Map<?, ?> m -> Access.findKey(m, item) != Access.MISSING;
            case Undefined u -> false;
            case LazyIterator g -> {
                for (Object o; (o = g.take()) != Access.MISSING; ) if (Py.eq(o, item)) yield true;
                yield false;
            }
            default -> throw TemplateRuntimeError.of("argument of type '" + Py.typeName(container) + "' is not iterable");
        };
    }

    /** What a for loop or a filter walks: a list's items, a dict's keys, a string's characters. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case null -> throw TemplateRuntimeError.of("'NoneType' object is not iterable");
            case List<?> l -> {
                @SuppressWarnings("unchecked") List<Object> items = (List<Object>) l;
                yield items;
            }
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> Py.characters(s);
            case Undefined u -> List.of();
            case LoopContext l -> l.items;
            case LazyIterator g -> g.drain();
            default -> throw TemplateRuntimeError.of("'" + Py.typeName(v) + "' object is not iterable");
        };
    }

    // ---- slicing ---------------------------------------------------------------------------

    /** Python's {@code seq[start:stop:step]} on a str, list or tuple; null bounds as Python's None. */
    static Object slice(Object seq, Object start, Object stop, Object step) {
        long st = step == null ? 1 : sliceIndex(step);
        if (st == 0) throw TemplateRuntimeError.of("slice step cannot be zero");
        List<Object> items;
        if (seq instanceof String s) items = Py.characters(s);
        else if (seq instanceof List<?> l && !(seq instanceof DictView)) items = iterate(l);
        else if (seq instanceof Undefined u) throw u.error();
        else throw TemplateRuntimeError.of("'" + Py.typeName(seq) + "' object is not subscriptable");
        long n = items.size();
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(sliceIndex(start), n, 0, n);
            hi = stop == null ? n : clampIndex(sliceIndex(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(sliceIndex(start), n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(sliceIndex(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) for (long i = lo; i < hi; i += st) out.add(items.get((int) i));
        else for (long i = lo; i > hi; i += st) out.add(items.get((int) i));
        if (seq instanceof PyRange r) {
            return st > 0 ? r.slice(lo, Math.max(lo, hi), st) : r.slice(lo, Math.min(lo, hi), st);
        }
        if (seq instanceof String) {
            StringBuilder b = new StringBuilder();
            for (Object o : out) b.append((String) o);
            return b.toString();
        }
        return seq instanceof Tuple ? Tuple.of(out) : out;
    }

    private static long clampIndex(long i, long n, long min, long max) {
        if (i < 0) i += n;
        return Math.max(min, Math.min(max, i));
    }

    private static long sliceIndex(Object v) {
        if (Py.isInteger(v)) return Py.asLong(v);
        if (v instanceof Undefined u) throw u.error();
        throw TemplateRuntimeError.of("slice indices must be integers or None");
    }
}
