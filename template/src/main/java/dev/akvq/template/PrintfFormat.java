package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * Python's printf-style {@code format % args} (and Jinja2's {@code format} filter, which is the
 * same): a tuple gives the positional arguments, a dict the {@code %(name)s} ones, any other
 * value is the single argument.
 */
final class PrintfFormat {
    private PrintfFormat() {}

    static String format(String fmt, Object args) {
        List<?> positional = args instanceof Tuple t ? t : List.of(args == null ? NONE : args);
        Map<?, ?> mapping = args instanceof Map<?, ?> m ? m : null;
        StringBuilder out = new StringBuilder();
        int next = 0, n = fmt.length();
        boolean usedMapping = false;
        for (int i = 0; i < n; i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i >= n) throw TemplateRuntimeError.of("incomplete format");
            Object value = null;
            boolean haveValue = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0) throw TemplateRuntimeError.of("incomplete format key");
                if (mapping == null) throw TemplateRuntimeError.of("format requires a mapping");
                String key = fmt.substring(i + 1, close);
                if (!mapping.containsKey(key)) throw TemplateRuntimeError.of("KeyError: " + Py.repr(key));
                value = mapping.get(key);
                haveValue = true;
                usedMapping = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < n && "-+ 0#".indexOf(fmt.charAt(i)) >= 0) flags.append(fmt.charAt(i++));
            int width = -1, precision = -1;
            if (i < n && fmt.charAt(i) == '*') {
                width = (int) Py.asLong(argument(positional, next++));
                i++;
            } else {
                while (i < n && Character.isDigit(fmt.charAt(i))) width = Math.max(width, 0) * 10 + (fmt.charAt(i++) - '0');
            }
            if (i < n && fmt.charAt(i) == '.') {
                i++;
                precision = 0;
                if (i < n && fmt.charAt(i) == '*') {
                    precision = (int) Py.asLong(argument(positional, next++));
                    i++;
                } else {
                    while (i < n && Character.isDigit(fmt.charAt(i))) precision = precision * 10 + (fmt.charAt(i++) - '0');
                }
            }
            while (i < n && "hlL".indexOf(fmt.charAt(i)) >= 0) i++;
            if (i >= n) throw TemplateRuntimeError.of("incomplete format");
            char type = fmt.charAt(i);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (!haveValue) value = mapping != null && !(args instanceof Tuple) ? args : argument(positional, next++);
            if (value == NONE) value = null;
            out.append(convert(value, type, flags.toString(), width, precision));
        }
        if (mapping == null && next < positional.size()) throw TemplateRuntimeError.of("not all arguments converted during string formatting");
        return out.toString();
    }

    private static final Object NONE = new Object();

    private static Object argument(List<?> positional, int index) {
        if (index >= positional.size()) throw TemplateRuntimeError.of("not enough arguments for format string");
        Object v = positional.get(index);
        return v == NONE ? null : v;
    }

    private static String convert(Object value, char type, String flags, int width, int precision) {
        String body;
        boolean numeric = true;
        switch (type) {
            case 's', 'r', 'a' -> {
                body = type == 's' ? Py.str(value) : Py.repr(value);
                if (precision >= 0 && precision < body.length()) body = body.substring(0, precision);
                numeric = false;
            }
            case 'd', 'i', 'u', 'x', 'X', 'o' -> {
                long v = integer(value, type);
                String digits = switch (type) {
                    case 'x' -> (flags.contains("#") ? "0x" : "") + Long.toHexString(Math.abs(v));
                    case 'X' -> (flags.contains("#") ? "0X" : "") + Long.toHexString(Math.abs(v)).toUpperCase();
                    case 'o' -> (flags.contains("#") ? "0o" : "") + Long.toOctalString(Math.abs(v));
                    default -> Long.toString(Math.abs(v));
                };
                if (precision > digits.length()) digits = "0".repeat(precision - digits.length()) + digits;
                body = sign(v < 0, flags) + digits;
            }
            case 'e', 'E', 'f', 'F', 'g', 'G' -> {
                if (!Py.isNumber(value)) throw TemplateRuntimeError.of("must be real number, not " + Py.typeName(value));
                double d = Py.asDouble(value);
                int p = precision < 0 ? 6 : precision;
                boolean alt = flags.contains("#");
                String digits = switch (Character.toLowerCase(type)) {
                    case 'e' -> NumberText.exponent(Math.abs(d), p, alt);
                    case 'f' -> NumberText.fixed(Math.abs(d), p);
                    default -> NumberText.general(Math.abs(d), p, alt);
                };
                if (Character.isUpperCase(type)) digits = digits.toUpperCase();
                body = sign(d < 0 || (d == 0 && 1 / d < 0), flags) + digits;
            }
            case 'c' -> {
                body = value instanceof String s && Py.length(s) == 1 ? s : new String(Character.toChars((int) integer(value, 'c')));
                numeric = false;
            }
            default -> throw TemplateRuntimeError.of("unsupported format character '" + type + "'");
        }
        if (width <= body.length()) return body;
        int pad = width - body.length();
        if (flags.contains("-")) return body + " ".repeat(pad);
        if (numeric && flags.contains("0")) {
            int signLen = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0 ? 1 : 0;
            return body.substring(0, signLen) + "0".repeat(pad) + body.substring(signLen);
        }
        return " ".repeat(pad) + body;
    }

    private static String sign(boolean negative, String flags) {
        return negative ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : "";
    }

    private static long integer(Object value, char type) {
        if (Py.isInteger(value)) return Py.asLong(value);
        if (value instanceof Double d && "diu".indexOf(type) >= 0) {
            if (!Double.isFinite(d)) throw TemplateRuntimeError.of("cannot convert float " + Py.floatRepr(d) + " to integer");
            return (long) (double) d;
        }
        throw TemplateRuntimeError.of("%" + type + " format: " + ("xXo".indexOf(type) >= 0 ? "an integer" : "a real number")
                + " is required, not " + Py.typeName(value));
    }
}
