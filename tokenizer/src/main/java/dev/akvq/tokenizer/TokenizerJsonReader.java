package dev.akvq.tokenizer;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads tokenizer.json quickly. Nearly all of a large file is model.vocab (token -> id) and
 * model.merges (Qwen's has 151k of each in 11 MB); building a JSON tree of them costs several
 * objects per entry, so this reader scans those two straight into a map and a list and hands the
 * rest of the file, with "vocab": {} and "merges": [] in their place, to the ordinary parser.
 * Anything the scan does not expect (an escape it does not handle, a duplicate key, a value of
 * the wrong kind) sends the whole file to the ordinary parser and {@link BytePairModel#fromJson},
 * whose errors name the field: the fast path only ever accepts what the slow one accepts.
 */
final class TokenizerJsonReader {
    /** The file's object with the tables left out, and the tables (null when the fast path gave up). */
    record Parts(JsonObject root, Map<String, Integer> vocab, List<String[]> merges) {}

    private final String text;
    private int pos;

    private TokenizerJsonReader(String text) {
        this.text = text;
    }

    static Parts read(byte[] bytes, String sourceName) {
        // The JDK's UTF-8 String constructor is much faster than a strict decoder but replaces bad
        // bytes with U+FFFD: only a text that has one can hide invalid UTF-8, and the strict decoder
        // (whose error gives the byte offset) then judges it, as it does a leading byte-order mark.
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') >= 0 || text.startsWith("\uFEFF")) text = Json.decodeUtf8(ByteBuffer.wrap(bytes), sourceName);
        try {
            Parts fast = new TokenizerJsonReader(text).fast(sourceName);
            if (fast != null) return fast;
        } catch (RuntimeException notTheExpectedShape) {
            // fall through: the ordinary parser reports what is wrong, with line and column
        }
        return new Parts(Json.parseObject(text, sourceName), null, null);
    }

    /**
     * null when the file is not laid out as expected. Nothing is skipped over twice: the scan
     * walks to model.vocab (past the small members before it), finds model.merges by its key
     * (the first {@code "merges": [} after the vocab; no vocab entry can look like that, its
     * value being a number), and reads the two tables, the merges on another thread. The
     * ordinary parse of the rest then confirms the guess: its model must hold the empty vocab
     * and merges put in their place.
     */
    private Parts fast(String sourceName) {
        int modelAt = memberStart(0, "model");
        if (modelAt < 0 || text.charAt(modelAt) != '{') return null;
        int vocabAt = memberStart(modelAt, "vocab");
        if (vocabAt < 0) return null;
        int mergesAt = mergesKeyValue(vocabAt);
        if (mergesAt < 0) return null;
        CompletableFuture<Object[]> mergesScan = CompletableFuture.supplyAsync(() -> {
            TokenizerJsonReader other = new TokenizerJsonReader(text);
            other.pos = mergesAt;
            List<String[]> list = other.merges((text.length() - mergesAt) / 16);
            return new Object[] {list, other.pos};
        });
        pos = vocabAt;
        Map<String, Integer> vocabMap = vocab((mergesAt - vocabAt) / 16);
        int vocabEnd = pos;
        Object[] merges = mergesScan.join();
        @SuppressWarnings("unchecked")
        List<String[]> mergeList = (List<String[]>) merges[0];
        int mergesEnd = (Integer) merges[1];
        if (vocabMap == null || mergeList == null || vocabEnd > mergesAt) return null;
        String rest = text.substring(0, vocabAt) + "{}" + text.substring(vocabEnd, mergesAt) + "[]" + text.substring(mergesEnd);
        JsonObject root = Json.parseObject(rest, sourceName);
        JsonObject model = root.optObject("model").orElse(null);
        if (model == null || model.optObject("vocab").map(JsonObject::size).orElse(-1) != 0
                || model.optArray("merges").map(JsonArray::size).orElse(-1) != 0) return null;
        return new Parts(root, vocabMap, mergeList);
    }

    /** Where the value of {@code "merges": [} starts, searching from {@code from}; -1 if nowhere. */
    private int mergesKeyValue(int from) {
        for (int k = text.indexOf("\"merges\"", from); k >= 0; k = text.indexOf("\"merges\"", k + 1)) {
            pos = k + 8;
            skipWhitespace();
            if (pos >= text.length() || text.charAt(pos) != ':') continue;
            pos++;
            skipWhitespace();
            if (pos < text.length() && text.charAt(pos) == '[') return pos;
        }
        return -1;
    }

    /**
     * Where the value of member {@code key} of the object starting at {@code at} starts (only its
     * direct members; those before it are skipped), or -1.
     */
    private int memberStart(int at, String key) {
        pos = at;
        skipWhitespace();
        if (text.charAt(pos) != '{') return -1;
        pos++;
        while (true) {
            skipWhitespace();
            if (text.charAt(pos) == '}') return -1;
            String name = string();
            if (name == null) return -1;
            skipWhitespace();
            if (text.charAt(pos++) != ':') return -1;
            skipWhitespace();
            if (name.equals(key)) return pos;
            skipValue();
            skipWhitespace();
            if (text.charAt(pos++) != ',') return -1;
        }
    }

    private Map<String, Integer> vocab(int expected) {
        if (text.charAt(pos++) != '{') return null;
        Map<String, Integer> out = HashMap.newHashMap(Math.max(16, expected));
        skipWhitespace();
        if (text.charAt(pos) == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            String token = string();
            if (token == null) return null;
            skipWhitespace();
            if (text.charAt(pos++) != ':') return null;
            skipWhitespace();
            int id = 0, digits = 0;
            while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9' && digits < 10) {
                id = id * 10 + (text.charAt(pos++) - '0');
                digits++;
            }
            if (digits == 0 || digits == 10 || (digits > 1 && text.charAt(pos - digits) == '0')) return null; // the slow path judges it
            if (out.put(token, id) != null) return null; // a duplicate key: the parser's error names it
            skipWhitespace();
            char c = text.charAt(pos++);
            if (c == '}') return out;
            if (c != ',') return null;
        }
    }

    private List<String[]> merges(int expected) {
        if (text.charAt(pos++) != '[') return null;
        List<String[]> out = new ArrayList<>(Math.max(16, expected));
        skipWhitespace();
        if (text.charAt(pos) == ']') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            String[] pair;
            if (text.charAt(pos) == '"') {
                String both = string();
                if (both == null) return null;
                int space = both.indexOf(' ');
                if (space < 0 || both.indexOf(' ', space + 1) >= 0) return null;
                pair = new String[] {both.substring(0, space), both.substring(space + 1)};
            } else if (text.charAt(pos) == '[') {
                pos++;
                skipWhitespace();
                String left = string();
                skipWhitespace();
                if (left == null || text.charAt(pos++) != ',') return null;
                skipWhitespace();
                String right = string();
                skipWhitespace();
                if (right == null || text.charAt(pos++) != ']') return null;
                pair = new String[] {left, right};
            } else {
                return null;
            }
            out.add(pair);
            skipWhitespace();
            char c = text.charAt(pos++);
            if (c == ']') return out;
            if (c != ',') return null;
        }
    }

    /** The string at pos (escapes decoded by the ordinary parser), pos after it; null if pos is not at a string. */
    private String string() {
        if (text.charAt(pos) != '"') return null;
        int start = pos + 1;
        boolean escaped = false;
        int i = start;
        while (true) {
            char c = text.charAt(i);
            if (c == '"') break;
            if (c == '\\') {
                escaped = true;
                i += 2;
                continue;
            }
            if (c < 0x20) return null;
            i++;
        }
        pos = i + 1;
        if (!escaped) return text.substring(start, i);
        return ((JsonString) Json.parse(text.substring(start - 1, i + 1), "string")).value();
    }

    /** Moves pos past the string at pos without building it. */
    private void skipString() {
        int i = pos + 1;
        while (true) {
            char c = text.charAt(i);
            if (c == '"') break;
            i += c == '\\' ? 2 : 1;
        }
        pos = i + 1;
    }

    /** Moves pos past one value of any kind (checked later by the parser, which sees all but the two tables). */
    private void skipValue() {
        char c = text.charAt(pos);
        if (c == '"') {
            skipString();
            return;
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            while (true) {
                char d = text.charAt(pos);
                if (d == '"') {
                    skipString();
                    continue;
                }
                pos++;
                if (d == '{' || d == '[') depth++;
                else if ((d == '}' || d == ']') && --depth == 0) return;
            }
        }
        while (pos < text.length() && ",}] \t\r\n".indexOf(text.charAt(pos)) < 0) pos++;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else return;
        }
    }
}
