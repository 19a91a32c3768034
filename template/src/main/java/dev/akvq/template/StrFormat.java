package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * Python's {@code str.format(*args, **kwargs)}: {@code {}}, {@code {0}}, {@code {name}},
 * {@code {name.attr}}, {@code {0[key]}}, conversions {@code !s !r} and a format spec (with
 * nested fields), through the same attribute rules as the template (Jinja2 formats with its
 * sandboxed formatter, so attributes go through the sandbox as here).
 */
final class StrFormat {
    private StrFormat() {}

    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        int[] auto = {0};
        return format(fmt, args, kwargs, auto, 2);
    }

    private static String format(String fmt, List<Object> args, Map<String, Object> kwargs, int[] auto, int depth) {
        StringBuilder out = new StringBuilder();
        int n = fmt.length();
        for (int i = 0; i < n; i++) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < n && fmt.charAt(i + 1) == '}') { out.append('}'); i++; continue; }
                throw TemplateRuntimeError.of("Single '}' encountered in format string");
            }
            if (c != '{') { out.append(c); continue; }
            if (i + 1 < n && fmt.charAt(i + 1) == '{') { out.append('{'); i++; continue; }
            int level = 1, j = i + 1;
            while (j < n && level > 0) {
                if (fmt.charAt(j) == '{') level++;
                else if (fmt.charAt(j) == '}') level--;
                if (level > 0) j++;
            }
            if (j >= n) throw TemplateRuntimeError.of("expected '}' before end of string");
            String field = fmt.substring(i + 1, j);
            i = j;
            String spec = "";
            char conversion = 0;
            int colon = indexOutsideBrackets(field, ':');
            if (colon >= 0) {
                spec = field.substring(colon + 1);
                field = field.substring(0, colon);
            }
            int bang = indexOutsideBrackets(field, '!');
            if (bang >= 0) {
                if (bang + 2 != field.length()) throw TemplateRuntimeError.of("expected ':' after conversion specifier");
                conversion = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            if (depth <= 0 && spec.indexOf('{') >= 0) throw TemplateRuntimeError.of("Max string recursion exceeded");
            if (spec.indexOf('{') >= 0) spec = format(spec, args, kwargs, auto, depth - 1);
            Object value = resolve(field, args, kwargs, auto);
            if (conversion == 'r' || conversion == 'a') value = Py.repr(value);
            else if (conversion == 's') value = Py.str(value);
            else if (conversion != 0) throw TemplateRuntimeError.of("Unknown conversion specifier " + conversion);
            out.append(FormatSpec.apply(value, spec));
        }
        return out.toString();
    }

    private static int indexOutsideBrackets(String s, char c) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char x = s.charAt(i);
            if (x == '[') depth++;
            else if (x == ']') depth--;
            else if (x == c && depth == 0) return i;
        }
        return -1;
    }

    private static Object resolve(String field, List<Object> args, Map<String, Object> kwargs, int[] auto) {
        int end = 0;
        while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') end++;
        String head = field.substring(0, end);
        Object value;
        if (head.isEmpty()) {
            if (auto[0] < 0) throw TemplateRuntimeError.of("cannot switch from manual field specification to automatic field numbering");
            value = positional(args, auto[0]++);
        } else if (head.chars().allMatch(Character::isDigit)) {
            if (auto[0] > 0) throw TemplateRuntimeError.of("cannot switch from automatic field numbering to manual field specification");
            auto[0] = -1;
            value = positional(args, Integer.parseInt(head));
        } else {
            if (!kwargs.containsKey(head)) throw TemplateRuntimeError.of("KeyError: " + Py.repr(head));
            value = kwargs.get(head);
        }
        int i = end;
        while (i < field.length()) {
            if (field.charAt(i) == '.') {
                int j = i + 1;
                while (j < field.length() && field.charAt(j) != '.' && field.charAt(j) != '[') j++;
                value = Access.getAttr(value, field.substring(i + 1, j));
                i = j;
            } else {
                int close = field.indexOf(']', i);
                if (close < 0) throw TemplateRuntimeError.of("Missing ']' in format string");
                String key = field.substring(i + 1, close);
                value = Access.getItem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty() ? (Object) Long.parseLong(key) : key);
                i = close + 1;
            }
        }
        return value;
    }

    private static Object positional(List<Object> args, int index) {
        if (index >= args.size()) throw TemplateRuntimeError.of("Replacement index " + index + " out of range for positional args tuple");
        return args.get(index);
    }
}
