package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The "pre_tokenizer" of tokenizer.json: cuts text into the words the model encodes one by one.
 * Supported: ByteLevel, Split and Sequence of them.
 */
public interface PreTokenizer {

    /** Appends the words of {@code text}, in order. */
    void split(String text, List<String> out);

    /** No pre_tokenizer: the whole text is one word. */
    PreTokenizer WHOLE_TEXT = (text, out) -> out.add(text);

    /** Reads one pre_tokenizer object. */
    static PreTokenizer fromJson(JsonObject p) {
        String type = p.requireString("type");
        return switch (type) {
            case "ByteLevel" -> ByteLevelPreTokenizer.fromJson(p);
            case "Split" -> SplitPreTokenizer.fromJson(p);
            case "Sequence" -> {
                List<PreTokenizer> steps = JsonSteps.read(p, "pretokenizers", PreTokenizer::fromJson);
                yield sequence(steps);
            }
            default -> throw p.fieldError("type", "expected ByteLevel, Split or Sequence, found \"" + type + "\"");
        };
    }

    /** Each step splits every word the previous step produced (pre_tokenizers/sequence.rs). */
    static PreTokenizer sequence(List<PreTokenizer> steps) {
        return (text, out) -> {
            List<String> words = List.of(text);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                for (String w : words) step.split(w, next);
                words = next;
            }
            out.addAll(words);
        };
    }
}
