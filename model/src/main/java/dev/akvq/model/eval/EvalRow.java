package dev.akvq.model.eval;

import dev.akvq.model.PromptInput;
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
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One prompt of an evaluation set: one JSON object per line, the same for every family (LLaVA,
 * Idefics3, Qwen2-VL, text models). The llava-shapes rows ({@code eval/prompts.jsonl}, see the
 * fixture's README) are rows of this format.
 *
 * <ul>
 * <li>{@code images}: image files, relative to the set file's folder, in prompt order (optional).
 * <li>{@code prompt}: the prompt text, laid out by the family's {@code prepare} as {@code akvq run
 *     --no-template --prompt} lays it out: a prompt holding the family's image marker
 *     ({@code <image>} for LLaVA and Idefics3, {@code <|image_pad|>} for Qwen2-VL), one per image,
 *     is taken as written; otherwise the family puts the images where its processor or chat layout
 *     does. No BOS is written: the tokenizer adds what its post-processor says.
 * <li>{@code input_ids}: the ids the model must run, image placeholders expanded as the family's
 *     processor expands them; with {@code prompt} a check (the ids built from the prompt must equal
 *     them), without it the prompt itself (for checkpoints without tokenizer.json).
 * <li>{@code answer_ids} (EOS included) and/or {@code answer_text}: the expected reply; exact match
 *     compares the generated ids with {@code answer_ids}, or, without them, the generated text
 *     (special tokens skipped, white space trimmed at both ends) with {@code answer_text}.
 *     {@code answer_token_index}: index in {@code answer_ids} of the answer word.
 * <li>{@code fp32.generated_ids}: the reference's FP32 greedy ids, which FP32 must reproduce.
 * <li>{@code id} (default: {@code line N}); informational fields kept from llava-shapes:
 *     {@code answer}, {@code question}, {@code qtype}, {@code target_image}, {@code n_images}
 *     (checked against {@code images}), and in {@code fp32} the reference's other outputs.
 * </ul>
 * Any other field is an error naming the file, line and field.
 */
public record EvalRow(String id, List<Path> images, Optional<String> prompt, Optional<int[]> inputIds, Optional<int[]> answerIds,
                      Optional<String> answerText, OptionalInt answerTokenIndex, Optional<int[]> fp32Generated) {

    static final Set<String> FIELDS = Set.of("id", "images", "prompt", "input_ids", "answer_ids", "answer_text", "answer_token_index",
            "fp32", "answer", "question", "qtype", "target_image", "n_images");
    static final Set<String> FP32_FIELDS = Set.of("generated_ids", "generated_text", "correct", "answer_token_correct",
            "step_top2_margins");

    /** What the model is asked: the prompt text (or, without one, input_ids) with the row's image files. */
    public PromptInput promptInput() {
        PromptInput input = prompt.map(PromptInput::text).orElseGet(() -> PromptInput.ids(inputIds.orElseThrow()));
        return images.isEmpty() ? input : input.withImageFiles(images);
    }

    /** True when the row says what the reply should be. */
    public boolean hasExpectedAnswer() {
        return answerIds.isPresent() || answerText.isPresent();
    }

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
            rows.add(parse(Json.parseObject(lines.get(i), setFile + ":" + (i + 1)), base, "line " + (i + 1)));
        }
        if (rows.isEmpty()) throw new WeightsFormatException(setFile + ": no rows; expected one JSON object per line");
        return rows;
    }

    static EvalRow parse(JsonObject o, Path base, String defaultId) {
        for (String key : o.keys()) {
            if (!FIELDS.contains(key)) throw o.fieldError(key, "is not a field of an evaluation row; expected " + String.join(", ", FIELDS.stream().sorted().toList()));
        }
        List<Path> images = new ArrayList<>();
        JsonArray files = o.optArray("images").orElse(null);
        for (int i = 0; files != null && i < files.size(); i++) {
            if (!(files.get(i) instanceof JsonString s)) throw o.fieldError("images", "entry " + i + " is not a string");
            Path file = base.resolve(s.value());
            if (!Files.isRegularFile(file)) throw o.fieldError("images", "entry " + i + ": no such file " + file);
            images.add(file);
        }
        OptionalInt count = o.optInt("n_images").map(OptionalInt::of).orElse(OptionalInt.empty());
        if (count.isPresent() && count.getAsInt() != images.size()) {
            throw o.fieldError("n_images", "is " + count.getAsInt() + " but images lists " + images.size());
        }
        Optional<String> prompt = o.optString("prompt");
        Optional<int[]> inputIds = ids(o, "input_ids");
        if (prompt.isEmpty() && inputIds.isEmpty()) throw o.fieldError("prompt", "is missing; a row needs prompt (text) or input_ids");
        Optional<int[]> answer = ids(o, "answer_ids");
        OptionalInt index = o.optInt("answer_token_index").map(OptionalInt::of).orElse(OptionalInt.empty());
        if (index.isPresent()) {
            int length = answer.map(a -> a.length).orElseThrow(() -> o.fieldError("answer_token_index", "needs answer_ids"));
            if (index.getAsInt() < 0 || index.getAsInt() >= length) {
                throw o.fieldError("answer_token_index", "is " + index.getAsInt() + "; expected an index into answer_ids (length " + length + ")");
            }
        }
        Optional<int[]> fp32 = Optional.empty();
        Optional<JsonObject> reference = o.optObject("fp32");
        if (reference.isPresent()) {
            for (String key : reference.get().keys()) {
                if (!FP32_FIELDS.contains(key)) throw reference.get().fieldError(key, "is not a field of fp32; expected generated_ids");
            }
            fp32 = ids(reference.get(), "generated_ids");
        }
        return new EvalRow(o.optString("id").orElse(defaultId), List.copyOf(images), prompt, inputIds, answer, o.optString("answer_text"),
                index, fp32);
    }

    private static Optional<int[]> ids(JsonObject o, String key) {
        if (!o.has(key)) return Optional.empty();
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
        return Optional.of(out);
    }
}
