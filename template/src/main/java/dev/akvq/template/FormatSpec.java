package dev.akvq.template;

/**
 * Python's format-spec mini-language ({@code [[fill]align][sign][#][0][width][,_][.precision][type]})
 * applied to one value: what {@code str.format} does for each replacement field.
 */
final class FormatSpec {
    private FormatSpec() {}

    static String apply(Object value, String spec) {
        if (value instanceof Undefined u) {
            if (spec.isEmpty()) return "";
            throw u.error();
        }
        if (spec.isEmpty()) return Py.str(value);
        int i = 0, n = spec.length();
        char fill = ' ', align = 0;
        if (n >= 2 && "<>=^".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if (n >= 1 && "<>=^".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < n && "+- ".indexOf(spec.charAt(i)) >= 0) sign = spec.charAt(i++);
        boolean alternate = false;
        if (i < n && spec.charAt(i) == '#') { alternate = true; i++; }
        if (i < n && spec.charAt(i) == '0') {
            if (align == 0) { fill = '0'; align = '='; }
            i++;
        }
        int width = 0;
        while (i < n && Character.isDigit(spec.charAt(i))) width = Math.min(width * 10 + (spec.charAt(i++) - '0'), 1 << 20);
        char grouping = 0;
        if (i < n && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) grouping = spec.charAt(i++);
        int precision = -1;
        if (i < n && spec.charAt(i) == '.') {
            i++;
            precision = 0;
            int start = i;
            while (i < n && Character.isDigit(spec.charAt(i))) precision = Math.min(precision * 10 + (spec.charAt(i++) - '0'), 1 << 16);
            if (i == start) throw TemplateRuntimeError.of("Format specifier missing precision");
        }
        char type = 0;
        if (i < n) type = spec.charAt(i++);
        if (i != n) throw TemplateRuntimeError.of("Invalid format specifier '" + spec + "' for object of type '" + Py.typeName(value) + "'");

        String body;
        boolean numeric = true;
        if (value instanceof String s) {
            if (type != 0 && type != 's') throw unknownCode(type, value);
            body = precision >= 0 && precision < Py.length(s) ? s.substring(0, s.offsetByCodePoints(0, precision)) : s;
            numeric = false;
        } else if (Py.isInteger(value) && (type == 0 || "dbcoxXn".indexOf(type) >= 0)) {
            long v = Py.asLong(value);
            body = switch (type) {
                case 'b' -> (alternate ? "0b" : "") + Long.toBinaryString(Math.abs(v));
                case 'o' -> (alternate ? "0o" : "") + Long.toOctalString(Math.abs(v));
                case 'x' -> (alternate ? "0x" : "") + Long.toHexString(Math.abs(v));
                case 'X' -> (alternate ? "0X" : "") + Long.toHexString(Math.abs(v)).toUpperCase();
                case 'c' -> new String(Character.toChars((int) v));
                default -> group(Long.toString(Math.abs(v)), grouping);
            };
            if (type != 'c') body = signed(v < 0, body, sign);
        } else if (Py.isNumber(value) && (type == 0 || "eEfFgG%n".indexOf(type) >= 0)) {
            double d = Py.asDouble(value);
            boolean negative = d < 0 || (d == 0 && 1 / d < 0);
            double a = Math.abs(d);
            body = switch (type) {
                case 'e', 'E' -> NumberText.exponent(a, precision < 0 ? 6 : precision, alternate);
                case 'f', 'F' -> NumberText.fixed(a, precision < 0 ? 6 : precision);
                case 'g', 'G', 'n' -> NumberText.general(a, precision < 0 ? 6 : precision, alternate);
                case '%' -> NumberText.fixed(a * 100, precision < 0 ? 6 : precision) + "%";
                default -> precision < 0 ? Py.floatRepr(a) : NumberText.general(a, precision, alternate);
            };
            if (Character.isUpperCase(type)) body = body.toUpperCase();
            if (grouping != 0) {
                int dot = body.indexOf('.');
                String intPart = dot < 0 ? body : body.substring(0, dot);
                if (intPart.chars().allMatch(Character::isDigit)) body = group(intPart, grouping) + (dot < 0 ? "" : body.substring(dot));
            }
            body = signed(negative && !Double.isNaN(d), body, sign);
        } else if (type == 0 && (precision < 0)) {
            body = Py.str(value);
            numeric = false;
        } else {
            throw unknownCode(type, value);
        }
        if (width <= Py.length(body)) return body;
        int pad = width - Py.length(body);
        if (align == 0) align = numeric ? '>' : '<';
        String f = String.valueOf(fill);
        return switch (align) {
            case '<' -> body + f.repeat(pad);
            case '^' -> f.repeat(pad / 2) + body + f.repeat(pad - pad / 2);
            case '=' -> {
                int signLen = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0 ? 1 : 0;
                yield body.substring(0, signLen) + f.repeat(pad) + body.substring(signLen);
            }
            default -> f.repeat(pad) + body;
        };
    }

    private static TemplateRuntimeError unknownCode(char type, Object value) {
        return TemplateRuntimeError.of("Unknown format code '" + type + "' for object of type '" + Py.typeName(value) + "'");
    }

    private static String signed(boolean negative, String body, char sign) {
        if (negative) return "-" + body;
        return sign == '+' ? "+" + body : sign == ' ' ? " " + body : body;
    }

    private static String group(String digits, char sep) {
        if (sep == 0) return digits;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < digits.length(); i++) {
            if (i > 0 && (digits.length() - i) % 3 == 0) b.append(sep);
            b.append(digits.charAt(i));
        }
        return b.toString();
    }
}
