package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.text.Normalizer;

/** The "normalizer" of tokenizer.json; supported: none and NFC (normalizers/unicode.rs). */
public enum TextNormalizer {
    NONE,
    NFC;

    static TextNormalizer fromJson(JsonObject n) {
        String type = n.requireString("type");
        if (type.equals("NFC")) return NFC;
        throw n.fieldError("type", "only the NFC normalizer is supported, found \"" + type + "\"");
    }

    String apply(String text) {
        return this == NFC ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
    }
}
