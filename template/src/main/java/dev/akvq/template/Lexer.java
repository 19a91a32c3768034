package dev.akvq.template;

import dev.akvq.template.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Jinja2's lexer (jinja2/lexer.py, 3.1.2) with the default delimiters: data, {{ }}, {% %},
 * {# #} and {% raw %}. Whitespace control as Jinja2 applies it: a '-' after an opening delimiter
 * strips all whitespace before the tag, a '-' before a closing one strips all whitespace after
 * it; trim_blocks drops the first newline after a block or comment tag ('+%}' keeps it);
 * lstrip_blocks drops spaces and tabs between a line's start and a block or comment tag ('{%+'
 * keeps them). Inside a tag, an end delimiter only counts when brackets are balanced.
 */
final class Lexer {
    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~",
            "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final SourceText source;
    private final String src;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;

    private Lexer(SourceText source, boolean trimBlocks, boolean lstripBlocks) {
        this.source = source;
        this.src = source.text;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
    }

    static List<Token> tokenize(SourceText source, boolean trimBlocks, boolean lstripBlocks) {
        Lexer lexer = new Lexer(source, trimBlocks, lstripBlocks);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = nextTagStart(pos);
            if (start < 0) {
                tokens.add(new Token(Kind.DATA, src.substring(pos), null, pos));
                break;
            }
            char kind = src.charAt(start + 1);
            char sign = start + 2 < n ? src.charAt(start + 2) : 0;
            if (sign != '-' && sign != '+') sign = 0;
            boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
            String text = strip(src.substring(pos, start), sign, kind != '{', lineStarting);
            if (!text.isEmpty()) tokens.add(new Token(Kind.DATA, text, null, pos));
            int afterOpen = start + 2 + (sign != 0 ? 1 : 0);
            switch (kind) {
                case '#' -> comment(start, afterOpen);
                case '{' -> {
                    tokens.add(new Token(Kind.VARIABLE_BEGIN, "{{", null, start));
                    pos = afterOpen;
                    insideTag(false, start);
                }
                default -> {
                    int rawEnd = rawBegin(afterOpen);
                    if (rawEnd >= 0) {
                        raw(start, rawEnd);
                    } else {
                        tokens.add(new Token(Kind.BLOCK_BEGIN, "{%", null, start));
                        pos = afterOpen;
                        insideTag(true, start);
                    }
                }
            }
        }
        tokens.add(new Token(Kind.EOF, "", null, src.length()));
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** The data before a tag after '-' (rstrip all) or lstrip_blocks (the line's indent only). */
    private String strip(String text, char sign, boolean blockOrComment, boolean lineStarting) {
        if (sign == '-') return Py.rstrip(text);
        if (sign != '+' && lstripBlocks && blockOrComment) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length()) {
                for (int i = lineStart; i < text.length(); i++) if (!Py.isSpace(text.charAt(i))) return text;
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    private int skipSpace(int i) {
        while (i < src.length() && Py.isSpace(src.charAt(i))) i++;
        return i;
    }

    /** Where a block end at {@code i} ends ('+%}', '-%}' and spaces, '%}' and trim_blocks' newline), or -1. */
    private int blockEnd(int i) {
        if (src.startsWith("+%}", i)) return i + 3;
        if (src.startsWith("-%}", i)) return skipSpace(i + 3);
        if (src.startsWith("%}", i)) return trimBlocks && src.startsWith("\n", i + 2) ? i + 3 : i + 2;
        return -1;
    }

    private void comment(int start, int afterOpen) {
        int close = src.indexOf("#}", afterOpen);
        if (close < 0) throw source.error("missing end of comment tag", start);
        char before = close > afterOpen ? src.charAt(close - 1) : 0;
        if (before == '-') pos = skipSpace(close + 2);
        else if (before == '+') pos = close + 2;
        else pos = trimBlocks && src.startsWith("\n", close + 2) ? close + 3 : close + 2;
    }

    /** After '{%' and its sign: the end of a '{% raw %}' tag, or -1 when this is another tag. */
    private int rawBegin(int i) {
        i = skipSpace(i);
        if (!src.startsWith("raw", i)) return -1;
        i = skipSpace(i + 3);
        if (src.startsWith("-%}", i)) return skipSpace(i + 3);
        return src.startsWith("%}", i) ? i + 2 : -1;
    }

    private void raw(int start, int bodyStart) {
        for (int i = src.indexOf("{%", bodyStart); i >= 0; i = src.indexOf("{%", i + 2)) {
            char sign = i + 2 < src.length() ? src.charAt(i + 2) : 0;
            if (sign != '-' && sign != '+') sign = 0;
            int j = skipSpace(i + 2 + (sign != 0 ? 1 : 0));
            if (!src.startsWith("endraw", j)) continue;
            int end = blockEnd(skipSpace(j + 6));
            if (end < 0) continue;
            boolean lineStarting = bodyStart == 0 || src.charAt(bodyStart - 1) == '\n';
            String text = strip(src.substring(bodyStart, i), sign, true, lineStarting);
            if (!text.isEmpty()) tokens.add(new Token(Kind.DATA, text, null, bodyStart));
            pos = end;
            return;
        }
        throw source.error("missing end of raw directive", start);
    }

    private void insideTag(boolean block, int tagStart) {
        Deque<Character> open = new ArrayDeque<>();
        int n = src.length();
        while (true) {
            if (pos >= n) {
                throw source.error("unexpected end of template, expected '" + (block ? "%}" : "}}") + "'"
                        + (open.isEmpty() ? "" : " (an open '" + open.peek() + "' is not closed)"), tagStart);
            }
            if (open.isEmpty()) {
                int end = block ? blockEnd(pos) : variableEnd(pos);
                if (end >= 0) {
                    tokens.add(new Token(block ? Kind.BLOCK_END : Kind.VARIABLE_END, block ? "%}" : "}}", null, pos));
                    pos = end;
                    return;
                }
            }
            char c = src.charAt(pos);
            if (Py.isSpace(c)) {
                pos++;
            } else if (c >= '0' && c <= '9') {
                number();
            } else if (c == '_' || Character.isLetter(c) || Character.isUnicodeIdentifierStart(c)) {
                int s = pos;
                while (pos < n && (Character.isUnicodeIdentifierPart(src.charAt(pos)) && !Character.isIdentifierIgnorable(src.charAt(pos)))) pos++;
                tokens.add(new Token(Kind.NAME, src.substring(s, pos), null, s));
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                operator(open);
            }
        }
    }

    private int variableEnd(int i) {
        if (src.startsWith("-}}", i)) return skipSpace(i + 3);
        return src.startsWith("}}", i) ? i + 2 : -1;
    }

    private void operator(Deque<Character> open) {
        for (String op : OPERATORS) {
            if (!src.startsWith(op, pos)) continue;
            char c = op.charAt(0);
            if (op.length() == 1 && (c == '(' || c == '[' || c == '{')) {
                open.push(c);
            } else if (op.length() == 1 && (c == ')' || c == ']' || c == '}')) {
                char expected = c == ')' ? '(' : c == ']' ? '[' : '{';
                if (open.isEmpty()) throw source.error("unexpected '" + c + "'", pos);
                if (open.peek() != expected) {
                    char want = open.peek() == '(' ? ')' : open.peek() == '[' ? ']' : '}';
                    throw source.error("unexpected '" + c + "', expected '" + want + "'", pos);
                }
                open.pop();
            }
            tokens.add(new Token(Kind.OPERATOR, op, null, pos));
            pos += op.length();
            return;
        }
        throw source.error("unexpected char " + Py.repr(String.valueOf(src.charAt(pos))), pos);
    }

    /** Jinja2's integer_re and float_re: digits with '_' separators, 0b/0o/0x, fraction, exponent. */
    private void number() {
        int s = pos, n = src.length();
        if (src.charAt(pos) == '0' && pos + 1 < n && "bBoOxX".indexOf(src.charAt(pos + 1)) >= 0) {
            char base = Character.toLowerCase(src.charAt(pos + 1));
            int radix = base == 'b' ? 2 : base == 'o' ? 8 : 16;
            int i = pos + 2;
            StringBuilder digits = new StringBuilder();
            while (i < n && (src.charAt(i) == '_' || Character.digit(src.charAt(i), radix) >= 0)) {
                if (src.charAt(i) != '_') digits.append(src.charAt(i));
                i++;
            }
            if (digits.length() > 0) {
                pos = i;
                tokens.add(new Token(Kind.INTEGER, src.substring(s, i), parseLong(digits.toString(), radix, s), s));
                return;
            }
        }
        int i = digits(pos);
        boolean isFloat = false;
        // float_re's (?<!\.): after "x." digits are an item index, so "x.0.1" is x[0][1].
        boolean afterDot = !tokens.isEmpty() && tokens.getLast().isOp(".");
        if (!afterDot && i + 1 < n && src.charAt(i) == '.' && Character.isDigit(src.charAt(i + 1))) {
            i = digits(i + 1);
            isFloat = true;
        }
        if (!afterDot && i < n && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (src.charAt(j) == '+' || src.charAt(j) == '-')) j++;
            if (j < n && Character.isDigit(src.charAt(j))) {
                i = digits(j);
                isFloat = true;
            }
        }
        String text = src.substring(s, i);
        String plain = text.replace("_", "");
        pos = i;
        if (isFloat) tokens.add(new Token(Kind.FLOAT, text, Double.parseDouble(plain), s));
        else tokens.add(new Token(Kind.INTEGER, text, parseLong(plain, 10, s), s));
    }

    private int digits(int i) {
        int n = src.length();
        while (i < n && (Character.isDigit(src.charAt(i)) && src.charAt(i) < 128
                || src.charAt(i) == '_' && i + 1 < n && Character.isDigit(src.charAt(i + 1)))) i++;
        return i;
    }

    private long parseLong(String digits, int radix, int at) {
        try {
            return Long.parseLong(digits, radix);
        } catch (NumberFormatException e) {
            throw source.error("integer literal out of the 64-bit range: " + digits, at);
        }
    }

    private void string(char quote) {
        int s = pos, n = src.length();
        int i = pos + 1;
        while (i < n && src.charAt(i) != quote) {
            if (src.charAt(i) == '\\') i++;
            i++;
        }
        if (i >= n) throw source.error("unterminated string", s);
        String body = src.substring(s + 1, i);
        pos = i + 1;
        try {
            tokens.add(new Token(Kind.STRING, src.substring(s, pos), UnicodeEscape.decode(body), s));
        } catch (IllegalArgumentException e) {
            throw source.error(e.getMessage(), s);
        }
    }
}
