package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The "added_tokens" of tokenizer.json, cut out of the text before normalization and the model
 * see it (tokenizers/src/tokenizer/added_vocabulary.rs, v0.22, {@code find_matches}): matches are
 * leftmost-longest and do not overlap; single_word drops a match that touches a word character,
 * lstrip/rstrip widen a match over the whitespace beside it.
 */
public final class AddedTokens {

    public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                             boolean normalized, boolean special) {}

    /** A piece of text: either an added token ({@code addedId >= 0}) or text for the model. */
    public record Segment(String text, int addedId) {
        boolean isAdded() {
            return addedId >= 0;
        }
    }

    private static final Pattern ENDS_WITH_WORD = Pattern.compile("\\w$", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern STARTS_WITH_WORD = Pattern.compile("^\\w", Pattern.UNICODE_CHARACTER_CLASS);

    private final List<AddedToken> tokens;
    /** By first character, longest first: [0] the tokens with normalized false, [1] true. */
    private final List<Map<Character, AddedToken[]>> byFirstChar = List.of(new HashMap<>(), new HashMap<>());
    private final BitSet[] firstChars = {new BitSet(), new BitSet()};

    public AddedTokens(List<AddedToken> tokens) {
        this.tokens = List.copyOf(tokens);
        for (int flag = 0; flag < 2; flag++) {
            Map<Character, List<AddedToken>> lists = new HashMap<>();
            for (AddedToken t : this.tokens) {
                if (t.normalized() == (flag == 1)) lists.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
            }
            for (Map.Entry<Character, List<AddedToken>> e : lists.entrySet()) {
                // Longest first; among equal lengths the earliest in added_tokens, as the loop this replaces chose.
                AddedToken[] sorted = e.getValue().stream()
                        .sorted(Comparator.comparingInt((AddedToken t) -> -t.content().length())).toArray(AddedToken[]::new);
                byFirstChar.get(flag).put(e.getKey(), sorted);
                firstChars[flag].set(e.getKey());
            }
        }
    }

    static AddedTokens fromJson(JsonObject root) {
        List<AddedToken> tokens = new ArrayList<>();
        List<JsonValue> list = root.optArray("added_tokens").map(a -> a.elements()).orElse(List.of());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof JsonObject t))
                throw root.fieldError("added_tokens", "element " + i + ": expected an object, found " + list.get(i).describe());
            String content = t.requireString("content");
            if (content.isEmpty()) throw root.fieldError("added_tokens", "element " + i + ": content is empty");
            tokens.add(new AddedToken(t.requireInt("id"), content, t.booleanOr("single_word", false),
                    t.booleanOr("lstrip", false), t.booleanOr("rstrip", false), t.booleanOr("normalized", true),
                    t.booleanOr("special", false)));
        }
        return new AddedTokens(tokens);
    }

    public List<AddedToken> all() {
        return tokens;
    }

    /** Splits {@code text} around the added tokens whose {@code normalized} flag equals the given one. */
    List<Segment> split(String text, boolean normalized) {
        if (firstChars[normalized ? 1 : 0].isEmpty()) return text.isEmpty() ? List.of() : List.of(new Segment(text, -1));
        List<Segment> out = new ArrayList<>();
        int segmentStart = 0;
        int pos = 0;
        while (pos < text.length()) {
            AddedToken match = longestAt(text, pos, normalized);
            if (match == null) {
                pos++;
                continue;
            }
            int start = pos, stop = pos + match.content().length();
            pos = stop;
            if (match.singleWord()
                    && (ENDS_WITH_WORD.matcher(text.substring(0, start)).find()
                        || STARTS_WITH_WORD.matcher(text.substring(stop)).find())) continue;
            if (match.lstrip()) {
                int s = start;
                while (s > segmentStart && isWhiteSpace(text.codePointBefore(s))) s -= Character.charCount(text.codePointBefore(s));
                start = s;
            }
            if (match.rstrip()) {
                while (stop < text.length() && isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
                pos = stop;
            }
            if (start > segmentStart) out.add(new Segment(text.substring(segmentStart, start), -1));
            out.add(new Segment(text.substring(start, stop), match.id()));
            segmentStart = stop;
        }
        if (segmentStart < text.length()) out.add(new Segment(text.substring(segmentStart), -1));
        return out;
    }

    private AddedToken longestAt(String text, int pos, boolean normalized) {
        int flag = normalized ? 1 : 0;
        char first = text.charAt(pos);
        if (!firstChars[flag].get(first)) return null;
        for (AddedToken t : byFirstChar.get(flag).get(first)) if (text.startsWith(t.content(), pos)) return t;
        return null;
    }

    /** Rust's char::is_whitespace: the Unicode White_Space property. */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }
}
