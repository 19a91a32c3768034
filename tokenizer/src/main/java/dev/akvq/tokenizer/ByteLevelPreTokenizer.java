package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The ByteLevel pre-tokenizer (tokenizers/src/pre_tokenizers/byte_level.rs, v0.22): optionally
 * prepends a space, optionally splits with GPT-2's regex, then writes each word's UTF-8 bytes in
 * {@link ByteLevelAlphabet}.
 */
public record ByteLevelPreTokenizer(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {

    /**
     * GPT-2's word pattern (openai/gpt-2 src/encoder.py). tokenizers runs it with Oniguruma,
     * where {@code \s}, {@code \p{L}} and {@code \p{N}} are Unicode classes; Java's {@code \s} is
     * ASCII-only unless UNICODE_CHARACTER_CLASS is set.
     */
    static final Pattern GPT2_WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    static ByteLevelPreTokenizer fromJson(JsonObject p) {
        return new ByteLevelPreTokenizer(p.booleanOr("add_prefix_space", true), p.booleanOr("use_regex", true));
    }

    @Override
    public boolean split(String text, boolean atStart, List<String> out) {
        // byte_level.rs: the space is added only when the text does not already start with one.
        if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
        List<String> words = new ArrayList<>();
        if (useRegex) SplitPreTokenizer.isolate(GPT2_WORDS, text, words);
        else words.add(text);
        for (String w : words) out.add(ByteLevelAlphabet.encode(w));
        return true; // the added space takes the place of the text's start
    }
}
