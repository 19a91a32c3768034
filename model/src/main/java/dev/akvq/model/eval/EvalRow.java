package dev.akvq.model.eval;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One prompt of an evaluation set in the llava-shapes format ({@code eval/prompts.jsonl}: one
 * JSON object per line; see the fixture's README).
 *
 * @param id               the row's {@code id}
 * @param images           {@code images}, resolved against the set file's directory, in prompt order
 * @param prompt           the unexpanded text: one {@code <image>} per image, no BOS
 * @param inputIds         the ids the reference ran (BOS + expanded prompt): the prompt we build must equal them
 * @param answerIds        ids of the expected reply, EOS included
 * @param answerTokenIndex index in {@code answerIds} of the answer word
 * @param fp32Generated    the reference's FP32 greedy ids ({@code fp32.generated_ids}), EOS included
 */
public record EvalRow(String id, List<Path> images, String prompt, int[] inputIds, int[] answerIds, int answerTokenIndex,
                      int[] fp32Generated) {

    /** The first {@code limit} rows of {@code setFile} (all when {@code limit <= 0}); errors name the file, line and field. */
    public static List<EvalRow> read(Path setFile, int limit) {
        List<String> lines;
        try {
            lines = Files.readAllLines(setFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evaluation set " + setFile + ": " + e.getMessage(), e);
        }
        Path base = setFile.toAbsolutePath().getParent();
        List<EvalRow> rows = new ArrayList<>();
        for (int i = 0; i < lines.size() && (limit <= 0 || rows.size() < limit); i++) {
            if (lines.get(i).isBlank()) continue;
            rows.add(parse(Json.parseObject(lines.get(i), setFile + ":" + (i + 1)), base));
        }
        if (rows.isEmpty()) throw new WeightsFormatException(setFile + ": no rows; expected one JSON object per line");
        return rows;
    }

    static EvalRow parse(JsonObject o, Path base) {
        JsonArray files = o.requireArray("images");
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (!(files.get(i) instanceof JsonString s)) throw o.fieldError("images", "entry " + i + " is not a string");
            images.add(base.resolve(s.value()));
        }
        int[] answer = ids(o, "answer_ids");
        int index = o.requireInt("answer_token_index");
        if (index < 0 || index >= answer.length) {
            throw o.fieldError("answer_token_index", "is " + index + "; expected an index into answer_ids (length " + answer.length + ")");
        }
        return new EvalRow(o.requireString("id"), List.copyOf(images), o.requireString("prompt"), ids(o, "input_ids"), answer,
                index, ids(o.requireObject("fp32"), "generated_ids"));
    }

    private static int[] ids(JsonObject o, String key) {
        JsonArray a = o.requireArray(key);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonValue v = a.get(i);
            if (!(v instanceof JsonNumber n) || n.intValueExact().isEmpty()) {
                throw o.fieldError(key, "entry " + i + " is " + v.describe() + "; expected a token id");
            }
            out[i] = n.intValueExact().get();
        }
        if (out.length == 0) throw o.fieldError(key, "is empty; expected token ids");
        return out;
    }
}
