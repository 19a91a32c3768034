package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The "pre_tokenizer" of tokenizer.json: cuts text into the words the model encodes one by one
 * (tokenizers/src/pre_tokenizers/, v0.22). Supported: ByteLevel, Split, Metaspace, Digits,
 * Whitespace, WhitespaceSplit, CharDelimiterSplit, Punctuation, BertPreTokenizer and Sequence of them.
 */
public interface PreTokenizer {

    /**
     * Appends the words of {@code text}, in order. {@code atStart} says whether {@code text} begins
     * where the whole input begins (offset 0 of the original text, which Metaspace's
     * prepend_scheme "first" asks for). Returns whether the first word appended begins where
     * {@code text} begins, so that a Sequence can pass {@code atStart} on.
     */
    boolean split(String text, boolean atStart, List<String> out);

    /** The words of a text that begins the input. */
    default void split(String text, List<String> out) {
        split(text, true, out);
    }

    /** No pre_tokenizer: the whole text is one word. */
    PreTokenizer WHOLE_TEXT = (text, atStart, out) -> {
        out.add(text);
        return true;
    };

    /** Reads one pre_tokenizer object. */
    static PreTokenizer fromJson(JsonObject p) {
        String type = p.requireString("type");
        return switch (type) {
            case "ByteLevel" -> ByteLevelPreTokenizer.fromJson(p);
            case "Split" -> SplitPreTokenizer.fromJson(p);
            case "Metaspace" -> MetaspacePreTokenizer.fromJson(p);
            case "Digits" -> {
                // digits.rs: each digit alone, or runs of them (char::is_numeric).
                yield SplitPreTokenizer.onCharacters(UnicodeProperties::isNumeric, p.booleanOr("individual_digits", false)
                        ? SplitPreTokenizer.Behavior.Isolated : SplitPreTokenizer.Behavior.Contiguous);
            }
            // whitespace.rs: the matches of \w+|[^\w\s]+ are the words, what lies between is dropped.
            case "Whitespace" -> new SplitPreTokenizer(WHITESPACE_WORDS, SplitPreTokenizer.Behavior.Removed, true);
            case "WhitespaceSplit" -> SplitPreTokenizer.onCharacters(UnicodeProperties::isWhitespace, SplitPreTokenizer.Behavior.Removed);
            case "CharDelimiterSplit" -> {
                // char_delimiter_split.rs: the delimiter character is dropped.
                String delimiter = p.requireString("delimiter");
                if (delimiter.codePointCount(0, delimiter.length()) != 1)
                    throw p.fieldError("delimiter", "expected one character, found \"" + delimiter + "\"");
                int d = delimiter.codePointAt(0);
                yield SplitPreTokenizer.onCharacters(cp -> cp == d, SplitPreTokenizer.Behavior.Removed);
            }
            // bert.rs: split on whitespace (removed), then each punctuation character alone.
            case "BertPreTokenizer" -> sequence(List.of(
                    SplitPreTokenizer.onCharacters(UnicodeProperties::isWhitespace, SplitPreTokenizer.Behavior.Removed),
                    SplitPreTokenizer.onCharacters(UnicodeProperties::isPunctuation, SplitPreTokenizer.Behavior.Isolated)));
            case "Punctuation" -> {
                yield SplitPreTokenizer.onCharacters(UnicodeProperties::isPunctuation, p.has("behavior")
                        ? SplitPreTokenizer.Behavior.fromJson(p, "behavior") : SplitPreTokenizer.Behavior.Isolated);
            }
            case "Sequence" -> {
                List<PreTokenizer> steps = JsonSteps.read(p, "pretokenizers", PreTokenizer::fromJson);
                yield sequence(steps);
            }
            default -> throw p.fieldError("type", "expected ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, "
                    + "CharDelimiterSplit, Punctuation, BertPreTokenizer or Sequence, found \"" + type + "\"");
        };
    }

    /** whitespace.rs: the words of the Whitespace pre-tokenizer. */
    Pattern WHITESPACE_WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

    /**
     * Each step splits every word the previous step produced (pre_tokenizers/sequence.rs). Only
     * the first word of a step can begin the input, and only if the step kept the beginning of
     * the first word before it.
     */
    static PreTokenizer sequence(List<PreTokenizer> steps) {
        return (text, atStart, out) -> {
            List<String> words = List.of(text);
            boolean firstBegins = true; // the first word begins where text begins
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                for (int i = 0; i < words.size(); i++) {
                    boolean begins = step.split(words.get(i), i == 0 && atStart && firstBegins, next);
                    if (i == 0) firstBegins = firstBegins && begins && !next.isEmpty();
                }
                words = next;
            }
            out.addAll(words);
            return firstBegins;
        };
    }
}
