package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.text.Normalizer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "normalizer" of tokenizer.json (tokenizers/src/normalizers/, v0.22). Supported: NFC, NFD,
 * NFKC, NFKD (unicode.rs), Lowercase (utils.rs), Strip and StripAccents (strip.rs), Prepend
 * (prepend.rs), Replace (replace.rs) and Sequence (utils.rs). Each
 * applies to one piece of text between added tokens.
 */
public interface TextNormalizer {

    String apply(String text);

    /**
     * Whether the first character of {@code apply(text)} still stands at the text's start. In
     * tokenizers every normalized character keeps the offset of the original one it came from
     * (an inserted one, that of the character it was put beside); a normalizer that removes the
     * text's first character (Strip, StripAccents, Replace with "") leaves the rest at offsets
     * above 0, and Metaspace's prepend_scheme "first" then prepends nothing.
     */
    default boolean keepsStart(String text) {
        return true;
    }

    TextNormalizer NONE = text -> text;

    static TextNormalizer fromJson(JsonObject n) {
        String type = n.requireString("type");
        return switch (type) {
            case "NFC" -> text -> Normalizer.normalize(text, Normalizer.Form.NFC);
            case "NFD" -> text -> Normalizer.normalize(text, Normalizer.Form.NFD);
            case "NFKC" -> text -> Normalizer.normalize(text, Normalizer.Form.NFKC);
            case "NFKD" -> text -> Normalizer.normalize(text, Normalizer.Form.NFKD);
            case "Lowercase" -> TextNormalizer::lowercase;
            case "Strip" -> {
                boolean left = n.requireBoolean("strip_left"), right = n.requireBoolean("strip_right");
                yield new TextNormalizer() {
                    public String apply(String text) {
                        return strip(text, left, right);
                    }

                    public boolean keepsStart(String text) {
                        return !left || text.isEmpty() || !UnicodeProperties.isWhitespace(text.codePointAt(0));
                    }
                };
            }
            case "StripAccents" -> new TextNormalizer() {
                public String apply(String text) {
                    StringBuilder out = new StringBuilder(text.length());
                    text.codePoints().filter(cp -> !UnicodeProperties.isCombiningMark(cp)).forEach(out::appendCodePoint);
                    return out.toString();
                }

                public boolean keepsStart(String text) {
                    return text.isEmpty() || !UnicodeProperties.isCombiningMark(text.codePointAt(0));
                }
            };
            case "Prepend" -> {
                String prefix = n.requireString("prepend");
                // prepend.rs: an empty string stays empty, so "<s>" alone gains no "▁".
                yield text -> text.isEmpty() ? text : prefix + text;
            }
            case "Replace" -> {
                Pattern pattern = replacePattern(n);
                String content = n.requireString("content"), replacement = Matcher.quoteReplacement(content);
                yield new TextNormalizer() {
                    public String apply(String text) {
                        return pattern.matcher(text).replaceAll(replacement);
                    }

                    public boolean keepsStart(String text) {
                        Matcher m = pattern.matcher(text);
                        return !content.isEmpty() || !m.lookingAt() || m.end() == 0;
                    }
                };
            }
            case "Sequence" -> {
                List<TextNormalizer> steps = JsonSteps.read(n, "normalizers", TextNormalizer::fromJson);
                yield new TextNormalizer() {
                    public String apply(String text) {
                        for (TextNormalizer s : steps) text = s.apply(text);
                        return text;
                    }

                    public boolean keepsStart(String text) {
                        // Once the start is gone, later steps (a Prepend too) cannot bring it back.
                        for (TextNormalizer s : steps) {
                            if (!s.keepsStart(text)) return false;
                            text = s.apply(text);
                        }
                        return true;
                    }
                };
            }
            default -> throw n.fieldError("type",
                    "expected NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace or Sequence, found \"" + type + "\"");
        };
    }

    /**
     * The "pattern" of a Replace normalizer or decoder (replace.rs): {"String": s}, matched
     * literally, or {"Regex": r}, compiled as SplitPreTokenizer compiles its patterns.
     */
    static Pattern replacePattern(JsonObject n) {
        JsonObject pattern = n.requireObject("pattern");
        if (pattern.has("Regex")) return SplitPreTokenizer.compile(pattern);
        String literal = pattern.optString("String").orElseThrow(() -> n.fieldError("pattern",
                "expected {\"String\": ...} or {\"Regex\": ...}, found keys " + pattern.keys()));
        if (literal.isEmpty()) throw n.fieldError("pattern", "the String pattern is empty");
        return Pattern.compile(Pattern.quote(literal));
    }

    /**
     * normalizer.rs {@code lowercase}: each character by itself through Rust's char::to_lowercase,
     * so without String.toLowerCase's final-sigma rule; U+0130 still becomes "i\u0307".
     */
    private static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0x130) out.append("i\u0307");
            else out.appendCodePoint(Character.toLowerCase(cp));
        });
        return out.toString();
    }

    /** normalizer.rs {@code lstrip}/{@code rstrip}: Unicode White_Space at either end. */
    private static String strip(String text, boolean left, boolean right) {
        int from = 0, to = text.length();
        while (left && from < to && UnicodeProperties.isWhitespace(text.codePointAt(from))) from += Character.charCount(text.codePointAt(from));
        while (right && to > from && UnicodeProperties.isWhitespace(text.codePointBefore(to))) to -= Character.charCount(text.codePointBefore(to));
        return text.substring(from, to);
    }
}
