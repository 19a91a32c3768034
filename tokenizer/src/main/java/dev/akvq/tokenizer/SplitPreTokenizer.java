package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The Split pre-tokenizer (tokenizers/src/pre_tokenizers/split.rs, v0.22) and the splitting all
 * pre-tokenizers share (tokenizer/normalizer.rs {@code NormalizedString::split}, pattern.rs): the
 * text is cut into matches and the gaps between them, {@code invert} swaps which is which, and the
 * behavior decides what becomes of the matches. Empty pieces are dropped (pre_tokenizer.rs
 * {@code PreTokenizedString::split}). A Regex pattern is compiled with UNICODE_CHARACTER_CLASS
 * so that {@code \s}, {@code \w} and case-insensitive groups follow Unicode, as Oniguruma does in
 * tokenizers; a String pattern is matched literally.
 */
public record SplitPreTokenizer(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {

    /** SplitDelimiterBehavior (tokenizer/normalizer.rs), with the JSON names. */
    enum Behavior {
        /** Matches are dropped. */
        Removed,
        /** Each match is a piece of its own. */
        Isolated,
        /** A match joins the piece before it. */
        MergedWithPrevious,
        /** A match joins the piece after it. */
        MergedWithNext,
        /** Consecutive matches form one piece, as do consecutive gaps. */
        Contiguous;

        static Behavior fromJson(JsonObject p, String field) {
            String name = p.requireString(field);
            for (Behavior b : values()) if (b.name().equals(name)) return b;
            throw p.fieldError(field, "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, found \"" + name + "\"");
        }
    }

    static SplitPreTokenizer fromJson(JsonObject p) {
        JsonObject pat = p.requireObject("pattern");
        Pattern pattern;
        if (pat.has("Regex")) pattern = compile(pat);
        else if (pat.has("String")) pattern = Pattern.compile(Pattern.quote(pat.requireString("String")));
        else throw p.fieldError("pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
        return new SplitPreTokenizer(pattern, Behavior.fromJson(p, "behavior"), p.booleanOr("invert", false));
    }

    /** The pattern of {"Regex": r}, with Unicode classes (see above). */
    static Pattern compile(JsonObject pat) {
        String regex = pat.requireString("Regex");
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw pat.fieldError("Regex", "not a valid regular expression (" + e.getDescription() + " near index "
                    + e.getIndex() + "): " + regex);
        }
    }

    @Override
    public boolean split(String text, boolean atStart, List<String> out) {
        return apply(behavior, text, spans(pattern, text, invert), out);
    }

    /** Splits at each character {@code matches} accepts (pattern.rs for {@code Fn(char) -> bool}), as {@code behavior} says. */
    static PreTokenizer onCharacters(IntPredicate matches, Behavior behavior) {
        return (text, atStart, out) -> apply(behavior, text, spans(matches, text), out);
    }

    /** Matches and the non-empty gaps between them, in order; empty matches are dropped (behavior Isolated). */
    static void isolate(Pattern pattern, String text, List<String> out) {
        apply(Behavior.Isolated, text, spans(pattern, text, false), out);
    }

    /**
     * pattern.rs for a regex: [start, end, isMatch] triples covering {@code text}, a gap before
     * each match that does not start where the last one ended and after the last; an empty
     * pattern string (pattern.rs for &str) is one gap. The matches are those of the onig crate's
     * {@code find_iter} (tokenizers' SysRegex): the next search starts where the last match
     * ended, and an empty match there is not taken (the search moves on by one character, never
     * into a surrogate pair). Java's own find() would take it after a non-empty match.
     */
    static List<int[]> spans(Pattern pattern, String text, boolean invert) {
        List<int[]> spans = new ArrayList<>();
        if (text.isEmpty() || pattern.pattern().equals("\\Q\\E")) {
            spans.add(new int[] {0, text.length(), invert ? 1 : 0});
            return spans;
        }
        Matcher m = pattern.matcher(text);
        int last = 0, lastMatchEnd = -1;
        while (m.find()) {
            // After an empty match find() moves on by one code unit itself, as onig does by one character.
            int at = m.start();
            if (at == m.end() && (at == lastMatchEnd || (at > 0 && at < text.length()
                    && Character.isHighSurrogate(text.charAt(at - 1)) && Character.isLowSurrogate(text.charAt(at))))) continue;
            if (at > last) spans.add(new int[] {last, at, invert ? 1 : 0});
            spans.add(new int[] {at, m.end(), invert ? 0 : 1});
            last = lastMatchEnd = m.end();
        }
        if (last < text.length()) spans.add(new int[] {last, text.length(), invert ? 1 : 0});
        return spans;
    }

    /** pattern.rs for {@code Fn(char) -> bool}: each character for which {@code matches} holds is a match by itself. */
    static List<int[]> spans(IntPredicate matches, String text) {
        List<int[]> spans = new ArrayList<>();
        int last = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i), next = i + Character.charCount(cp);
            if (matches.test(cp)) {
                if (last < i) spans.add(new int[] {last, i, 0});
                spans.add(new int[] {i, next, 1});
                last = next;
            }
            i = next;
        }
        if (last < text.length()) spans.add(new int[] {last, text.length(), 0});
        return spans;
    }

    /**
     * normalizer.rs {@code split}: joins or drops the spans as {@code behavior} says and appends
     * the non-empty pieces; returns whether the first piece appended starts at the start of
     * {@code text} (false when nothing was appended).
     */
    static boolean apply(Behavior behavior, String text, List<int[]> spans, List<String> out) {
        List<int[]> pieces = new ArrayList<>(); // [start, end, removed]
        switch (behavior) {
            case Isolated -> { for (int[] s : spans) pieces.add(new int[] {s[0], s[1], 0}); }
            case Removed -> pieces.addAll(spans);
            case Contiguous -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] == 1;
                    if (match == previousMatch && !pieces.isEmpty()) pieces.getLast()[1] = s[1];
                    else pieces.add(new int[] {s[0], s[1], 0});
                    previousMatch = match;
                }
            }
            case MergedWithPrevious -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) pieces.getLast()[1] = s[1];
                    else pieces.add(new int[] {s[0], s[1], 0});
                    previousMatch = match;
                }
            }
            case MergedWithNext -> {
                // The same walk from the end: a match joins the piece after it.
                boolean previousMatch = false;
                for (int[] s : spans.reversed()) {
                    boolean match = s[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) pieces.getFirst()[0] = s[0];
                    else pieces.addFirst(new int[] {s[0], s[1], 0});
                    previousMatch = match;
                }
            }
        }
        boolean first = true, firstAtStart = false;
        for (int[] p : pieces) {
            if (p[2] == 1 || p[0] == p[1]) continue;
            if (first) firstAtStart = p[0] == 0;
            first = false;
            out.add(text.substring(p[0], p[1]));
        }
        return firstAtStart;
    }
}
