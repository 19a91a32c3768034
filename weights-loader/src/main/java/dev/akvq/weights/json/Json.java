package dev.akvq.weights.json;

import dev.akvq.weights.WeightsFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON reader, written for files we did not produce (config.json,
 * safetensors headers, tokenizer.json) and so rejecting everything the RFC does not allow:
 * comments, trailing commas, single quotes, NaN and Infinity, leading zeros, a leading '+',
 * unescaped control characters, anything after the top-level value but whitespace, and
 * duplicate object keys (the RFC says names "SHOULD be unique"; a reader that keeps the first
 * or the last silently disagrees with some other reader, so we refuse).
 *
 * <p>Surrogates: a {@code \}{@code uD800}-{@code \}{@code uDBFF} escape must be followed by a
 * {@code \}{@code uDC00}-{@code \}{@code uDFFF} escape and the two form one code point; a lone
 * high or low surrogate escape is an error, as in serde_json, the reader the safetensors and
 * tokenizers libraries use (Python's json would accept it and produce a string that is not
 * valid Unicode).
 *
 * <p>Limits: nesting deeper than {@link #MAX_DEPTH} and input longer than {@link #MAX_CHARS}
 * are errors, so hostile input fails with {@link JsonFormatException}, never with a
 * StackOverflowError or an OutOfMemoryError. The recursion is bounded by the depth check, far
 * below what a default thread stack holds.
 */
public final class Json {
    /** Deepest nesting of arrays and objects accepted; real configs nest 3 or 4 levels. */
    public static final int MAX_DEPTH = 512;
    /** Longest text accepted (UTF-16 code units); the safetensors spec caps a header at 100 MB. */
    public static final int MAX_CHARS = 100_000_000;
    /** Largest file {@link #readFile} accepts, in bytes. */
    public static final long MAX_FILE_BYTES = 100_000_000L;

    private Json() {
    }

    /**
     * {@code s} as a JSON string literal (RFC 8259 section 7): quote, backslash and control
     * characters escaped, and a lone UTF-16 surrogate written as a {@code \\uXXXX} escape so the
     * output stays valid UTF-8 when encoded.
     */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (paired) {
                        b.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Parses {@code text}; errors name {@code sourceName} with line and column. */
    public static JsonValue parse(String text, String sourceName) {
        if (text.length() > MAX_CHARS) {
            throw new JsonFormatException(sourceName, 1, 1,
                    "input is " + text.length() + " characters long; at most " + MAX_CHARS + " are accepted");
        }
        return new Parser(text, sourceName).parseDocument();
    }

    /** Parses {@code text}, which must hold an object at the top level. */
    public static JsonObject parseObject(String text, String sourceName) {
        JsonValue v = parse(text, sourceName);
        if (v instanceof JsonObject o) return o;
        throw new JsonFormatException(sourceName, 1, 1, "expected a JSON object at the top level, found " + v.describe());
    }

    /**
     * Decodes {@code bytes} as UTF-8, reporting (never replacing) malformed sequences, then
     * parses. A leading byte-order mark is an error too: RFC 8259 section 8.1 says a writer
     * must not add one.
     */
    public static JsonValue parseUtf8(byte[] bytes, String sourceName) {
        return parse(decodeUtf8(ByteBuffer.wrap(bytes), sourceName), sourceName);
    }

    /** Reads and parses a JSON file; errors name the path. */
    public static JsonValue readFile(Path path) {
        String name = path.toString();
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_FILE_BYTES) {
                throw new JsonFormatException(name, "file is " + size + " bytes; at most " + MAX_FILE_BYTES
                        + " are accepted", null);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) break;
            }
            buf.flip();
            bytes = new byte[buf.remaining()];
            buf.get(bytes);
        } catch (NoSuchFileException e) {
            throw new WeightsFormatException(name + ": no such file", e);
        } catch (IOException e) {
            throw new WeightsFormatException(name + ": cannot read: " + e, e);
        }
        return parseUtf8(bytes, name);
    }

    /** Reads a JSON file that must hold an object at the top level. */
    public static JsonObject readObjectFile(Path path) {
        JsonValue v = readFile(path);
        if (v instanceof JsonObject o) return o;
        throw new JsonFormatException(path.toString(), 1, 1, "expected a JSON object at the top level, found "
                + v.describe());
    }

    /** Strict UTF-8 decoding; the error gives the byte offset of the first bad sequence. */
    public static String decodeUtf8(ByteBuffer bytes, String sourceName) {
        int start = bytes.position();
        if (bytes.remaining() >= 3 && (bytes.get(start) & 0xFF) == 0xEF && (bytes.get(start + 1) & 0xFF) == 0xBB
                && (bytes.get(start + 2) & 0xFF) == 0xBF) {
            throw new JsonFormatException(sourceName, 1, 1, "starts with a UTF-8 byte-order mark, which JSON forbids"
                    + " (RFC 8259 section 8.1)");
        }
        if (bytes.remaining() > MAX_CHARS) {
            throw new JsonFormatException(sourceName, "input is " + bytes.remaining() + " bytes; at most "
                    + MAX_CHARS + " are accepted", null);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.remaining());
        CoderResult r = decoder.decode(bytes, out, true);
        if (r.isUnderflow()) r = decoder.flush(out);
        if (r.isError()) {
            long at = bytes.position() - start;
            throw new JsonFormatException(sourceName, "not valid UTF-8: " + r.length()
                    + " malformed byte(s) at byte offset " + at + " (first byte 0x"
                    + String.format("%02X", bytes.get(bytes.position()) & 0xFF) + ")", null);
        }
        out.flip();
        return out.toString();
    }

    /** Recursive descent over the whole text; {@code pos} is the next unread character. */
    private static final class Parser {
        private final String text;
        private final String source;
        private int pos;

        Parser(String text, String source) {
            this.text = text;
            this.source = source;
        }

        JsonValue parseDocument() {
            skipWhitespace();
            if (pos >= text.length()) throw error(pos, "expected a JSON value, found the end of the input (empty document)");
            JsonValue v = parseValue(0);
            skipWhitespace();
            if (pos < text.length()) {
                throw error(pos, "expected the end of the input after the top-level value, found " + found(pos));
            }
            return v;
        }

        private JsonValue parseValue(int depth) {
            if (pos >= text.length()) throw error(pos, "expected a JSON value, found the end of the input");
            char c = text.charAt(pos);
            return switch (c) {
                case '{' -> parseObject(depth + 1);
                case '[' -> parseArray(depth + 1);
                case '"' -> new JsonString(parseString());
                case 't' -> literal("true", new JsonBoolean(true));
                case 'f' -> literal("false", new JsonBoolean(false));
                case 'n' -> literal("null", JsonNull.INSTANCE);
                case 'N' -> throw error(pos, "NaN is not a JSON value; write null or a number");
                case 'I' -> throw error(pos, "Infinity is not a JSON value; write null or a number");
                case '/' -> throw error(pos, "comments are not allowed in JSON");
                case '\'' -> throw error(pos, "JSON strings use double quotes, found a single quote");
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield parseNumber();
                    throw error(pos, "expected a JSON value, found " + found(pos));
                }
            };
        }

        private JsonObject parseObject(int depth) {
            checkDepth(depth);
            pos++; // '{'
            LinkedHashMap<String, JsonValue> members = new LinkedHashMap<>();
            Map<String, Integer> keyPositions = new HashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return JsonObject.adopt(members, source);
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    if (peek() == '}') throw error(pos, "trailing comma before '}' is not allowed in JSON");
                    throw error(pos, "expected a member name in double quotes, found " + found(pos));
                }
                int keyAt = pos;
                String key = parseString();
                Integer first = keyPositions.putIfAbsent(key, keyAt);
                if (first != null) {
                    int[] lc = lineColumn(first);
                    throw error(keyAt, "duplicate key \"" + key + "\" (first at line " + lc[0] + ", column " + lc[1]
                            + "); keys in a JSON object must be unique");
                }
                skipWhitespace();
                if (peek() != ':') throw error(pos, "expected ':' after member name \"" + key + "\", found " + found(pos));
                pos++;
                skipWhitespace();
                members.put(key, parseValue(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    return JsonObject.adopt(members, source);
                } else {
                    throw error(pos, "expected ',' or '}' after the value of \"" + key + "\", found " + found(pos));
                }
            }
        }

        private JsonArray parseArray(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<JsonValue> elements = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return new JsonArray(elements);
            }
            while (true) {
                skipWhitespace();
                if (peek() == ']') throw error(pos, "trailing comma before ']' is not allowed in JSON");
                elements.add(parseValue(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    return new JsonArray(elements);
                } else {
                    throw error(pos, "expected ',' or ']' after array element " + (elements.size() - 1) + ", found "
                            + found(pos));
                }
            }
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error(pos, "nesting deeper than " + MAX_DEPTH + " arrays/objects is not accepted");
            }
        }

        private JsonValue literal(String word, JsonValue value) {
            if (text.startsWith(word, pos)) {
                pos += word.length();
                return value;
            }
            throw error(pos, "expected " + word + ", found " + found(pos));
        }

        /** RFC 8259 section 6: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
        private JsonNumber parseNumber() {
            int start = pos;
            if (peek() == '-') pos++;
            int c = peek();
            if (c == '0') {
                pos++;
                if (isDigit(peek())) throw error(start, "leading zeros are not allowed in JSON numbers");
            } else if (c >= '1' && c <= '9') {
                while (isDigit(peek())) pos++;
            } else {
                throw error(pos, "expected a digit in a number, found " + found(pos));
            }
            if (peek() == '.') {
                pos++;
                if (!isDigit(peek())) throw error(pos, "expected a digit after the decimal point, found " + found(pos));
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw error(pos, "expected a digit in the exponent, found " + found(pos));
                while (isDigit(peek())) pos++;
            }
            return new JsonNumber(text.substring(start, pos));
        }

        private String parseString() {
            int open = pos;
            pos++; // '"'
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= text.length()) throw error(open, "unterminated string");
                char c = text.charAt(pos);
                if (c == '"') {
                    String s = sb == null ? text.substring(runStart, pos) : sb.append(text, runStart, pos).toString();
                    pos++;
                    return s;
                }
                if (c < 0x20) {
                    throw error(pos, String.format("unescaped control character U+%04X in a string; write it as"
                            + " \\u%04X", (int) c, (int) c));
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(text, runStart, pos);
                int escAt = pos;
                pos++;
                if (pos >= text.length()) throw error(open, "unterminated string");
                char e = text.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        char u = hex4(escAt);
                        if (Character.isHighSurrogate(u)) {
                            if (!text.startsWith("\\u", pos)) {
                                throw error(escAt, String.format("lone high surrogate \\u%04X: it must be followed by a"
                                        + " \\uDC00-\\uDFFF escape", (int) u));
                            }
                            int lowAt = pos;
                            pos += 2;
                            char low = hex4(lowAt);
                            if (!Character.isLowSurrogate(low)) {
                                throw error(escAt, String.format("lone high surrogate \\u%04X: followed by \\u%04X, not by"
                                        + " a \\uDC00-\\uDFFF escape", (int) u, (int) low));
                            }
                            sb.append(u).append(low);
                        } else if (Character.isLowSurrogate(u)) {
                            throw error(escAt, String.format("lone low surrogate \\u%04X without a high surrogate"
                                    + " before it", (int) u));
                        } else {
                            sb.append(u);
                        }
                    }
                    default -> throw error(escAt, "invalid escape \\" + printable(e)
                            + " in a string; JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
                runStart = pos;
            }
        }

        /** Reads the 4 hex digits of the escape at {@code escAt}; {@code pos} is just after its 'u'. */
        private char hex4(int escAt) {
            if (pos + 4 > text.length()) throw error(escAt, "\\u escape needs 4 hex digits, found the end of the input");
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(text.charAt(pos + i), 16);
                char ch = text.charAt(pos + i);
                boolean ascii = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
                if (d < 0 || !ascii) throw error(pos + i, "\\u escape needs 4 hex digits, found " + found(pos + i));
                v = (v << 4) | d;
            }
            pos += 4;
            return (char) v;
        }

        private void skipWhitespace() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else return;
            }
        }

        private int peek() {
            return pos < text.length() ? text.charAt(pos) : -1;
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }

        private String found(int at) {
            if (at >= text.length()) return "the end of the input";
            char c = text.charAt(at);
            return "'" + printable(c) + "'";
        }

        private static String printable(char c) {
            return c < 0x20 || c == 0x7F || Character.isSurrogate(c) ? String.format("U+%04X", (int) c)
                    : String.valueOf(c);
        }

        private int[] lineColumn(int at) {
            int line = 1;
            int col = 1;
            for (int i = 0; i < at && i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
                    line++;
                    col = 1;
                } else if (c != '\r') {
                    col++;
                }
            }
            return new int[] {line, col};
        }

        private JsonFormatException error(int at, String problem) {
            int[] lc = lineColumn(at);
            return new JsonFormatException(source, lc[0], lc[1], problem);
        }
    }
}
