package dev.akvq.template;

/**
 * How Jinja2 decodes a string literal's body (lexer.py, {@code wrap}):
 * {@code value.encode("ascii", "backslashreplace").decode("unicode-escape")}. So '\n' is a newline,
 * an unknown escape such as '\s' stays as written (backslash, s), and a non-ASCII character is
 * kept (a backslash before one stays a backslash and the character becomes its \x escape text,
 * as Python does).
 */
final class UnicodeEscape {
    private UnicodeEscape() {}

    static String decode(String body) {
        String ascii = backslashReplace(body);
        if (ascii.indexOf('\\') < 0) return ascii;
        StringBuilder out = new StringBuilder(ascii.length());
        int n = ascii.length();
        for (int i = 0; i < n; i++) {
            char c = ascii.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (i + 1 >= n) throw new IllegalArgumentException("\\ at end of string");
            char e = ascii.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\', '\'', '"' -> out.append(e);
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x' -> i = hex(ascii, i + 1, 2, out, "\\xXX") - 1;
                case 'u' -> i = hex(ascii, i + 1, 4, out, "\\uXXXX") - 1;
                case 'U' -> i = hex(ascii, i + 1, 8, out, "\\UXXXXXXXX") - 1;
                case 'N' -> i = named(ascii, i + 1, out) - 1;
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = 0, j = i;
                        while (j < n && j < i + 3 && ascii.charAt(j) >= '0' && ascii.charAt(j) <= '7') v = v * 8 + (ascii.charAt(j++) - '0');
                        out.append((char) v);
                        i = j - 1;
                    } else {
                        out.append('\\').append(e);
                    }
                }
            }
        }
        return out.toString();
    }

    private static int hex(String s, int from, int digits, StringBuilder out, String form) {
        if (from + digits > s.length()) throw new IllegalArgumentException("truncated " + form + " escape in a string literal");
        int v = 0;
        for (int j = from; j < from + digits; j++) {
            int d = Character.digit(s.charAt(j), 16);
            if (d < 0) throw new IllegalArgumentException("truncated " + form + " escape in a string literal");
            v = v * 16 + d;
        }
        if (v < 0 || v > Character.MAX_CODE_POINT) throw new IllegalArgumentException("illegal Unicode character in a string literal");
        out.appendCodePoint(v);
        return from + digits;
    }

    private static int named(String s, int from, StringBuilder out) {
        int close = s.indexOf('}', from);
        if (from >= s.length() || s.charAt(from) != '{' || close < 0) throw new IllegalArgumentException("malformed \\N character escape in a string literal");
        try {
            out.appendCodePoint(Character.codePointOf(s.substring(from + 1, close)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown Unicode character name in a string literal");
        }
        return close + 1;
    }

    private static String backslashReplace(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            if (cp >= 0x80) {
                if (b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
                if (cp < 0x100) b.append(String.format("\\x%02x", cp));
                else if (cp < 0x10000) b.append(String.format("\\u%04x", cp));
                else b.append(String.format("\\U%08x", cp));
            } else if (b != null) {
                b.append((char) cp);
            }
            i += len;
        }
        return b == null ? s : b.toString();
    }
}
