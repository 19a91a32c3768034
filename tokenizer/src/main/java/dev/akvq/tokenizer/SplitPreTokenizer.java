package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The Split pre-tokenizer (tokenizers/src/pre_tokenizers/split.rs, v0.22), for now only with
 * behavior "Isolated" and invert false: every match is a word, and so is every gap between
 * matches. The pattern is compiled with UNICODE_CHARACTER_CLASS so that {@code \s}, {@code \w}
 * and case-insensitive groups follow Unicode, as Oniguruma does in tokenizers.
 */
public record SplitPreTokenizer(Pattern pattern) implements PreTokenizer {

    static SplitPreTokenizer fromJson(JsonObject p) {
        JsonObject pat = p.requireObject("pattern");
        Pattern pattern;
        if (pat.has("Regex")) {
            String regex = pat.requireString("Regex");
            try {
                pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw pat.fieldError("Regex", "not a valid regular expression (" + e.getDescription() + " near index "
                        + e.getIndex() + "): " + regex);
            }
        }
        else if (pat.has("String")) pattern = Pattern.compile(Pattern.quote(pat.requireString("String")));
        else throw p.fieldError("pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
        String behavior = p.requireString("behavior");
        if (!behavior.equals("Isolated")) throw p.fieldError("behavior", "only \"Isolated\" is supported, found \"" + behavior + "\"");
        if (p.booleanOr("invert", false)) throw p.fieldError("invert", "only false is supported");
        return new SplitPreTokenizer(pattern);
    }

    @Override
    public void split(String text, List<String> out) {
        isolate(pattern, text, out);
    }

    /** Matches and the non-empty gaps between them, in order; empty matches are dropped. */
    static void isolate(Pattern pattern, String text, List<String> out) {
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (m.start() > last) out.add(text.substring(last, m.start()));
            out.add(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
    }
}
