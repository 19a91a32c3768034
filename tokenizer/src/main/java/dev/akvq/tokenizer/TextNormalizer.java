package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.text.Normalizer;
import java.util.List;

/**
 * The "normalizer" of tokenizer.json (tokenizers/src/normalizers/, v0.22). Supported: NFC
 * (unicode.rs), Prepend (prepend.rs), Replace with a literal string pattern (replace.rs) and
 * Sequence (utils.rs). Each applies to one piece of text between added tokens.
 */
public interface TextNormalizer {

    String apply(String text);

    TextNormalizer NONE = text -> text;

    static TextNormalizer fromJson(JsonObject n) {
        String type = n.requireString("type");
        return switch (type) {
            case "NFC" -> text -> Normalizer.normalize(text, Normalizer.Form.NFC);
            case "Prepend" -> {
                String prefix = n.requireString("prepend");
                // prepend.rs: an empty string stays empty, so "<s>" alone gains no "▁".
                yield text -> text.isEmpty() ? text : prefix + text;
            }
            case "Replace" -> {
                JsonObject pattern = n.requireObject("pattern");
                String literal = pattern.optString("String").orElseThrow(() -> n.fieldError("pattern",
                        "only a {\"String\": ...} pattern is supported, found keys " + pattern.keys()));
                if (literal.isEmpty()) throw n.fieldError("pattern", "the String pattern is empty");
                String content = n.requireString("content");
                yield text -> text.replace(literal, content);
            }
            case "Sequence" -> {
                List<TextNormalizer> steps = JsonSteps.read(n, "normalizers", TextNormalizer::fromJson);
                yield text -> {
                    for (TextNormalizer s : steps) text = s.apply(text);
                    return text;
                };
            }
            default -> throw n.fieldError("type", "expected NFC, Prepend, Replace or Sequence, found \"" + type + "\"");
        };
    }
}
