package dev.akvq.cli;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.llama.LlamaDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code akvq batch} needs of a model, for every family through {@link VisionLanguageModel}:
 * the decoder all requests share, a request's prompt prepared (laid out, tokenized, images through
 * the tower and merged), and the text of generated ids.
 */
final class BatchModel implements AutoCloseable {
    private final VisionLanguageModel model;
    private final boolean hasTokenizer;

    private BatchModel(VisionLanguageModel model, boolean hasTokenizer) {
        this.model = model;
        this.hasTokenizer = hasTokenizer;
    }

    static BatchModel load(Path dir, int threads) {
        return new BatchModel(VisionLanguageModel.load(dir, threads), Files.exists(dir.resolve("tokenizer.json")));
    }

    VisionLanguageModel model() {
        return model;
    }

    LlamaDecoder decoder() {
        return model.decoder();
    }

    /** The text of generated ids, when the model directory has a tokenizer.json. */
    Optional<String> decode(int[] ids) {
        return hasTokenizer ? Optional.of(model.tokenizer().decode(ids, true)) : Optional.empty();
    }

    /** The prompt as text (laid out as {@code run --prompt} does) or as ids already expanded, with its images. */
    PreparedPrompt prepare(Optional<String> prompt, Optional<int[]> promptIds, List<Path> images) {
        if (prompt.isPresent() && !hasTokenizer) {
            throw new IllegalArgumentException("\"prompt\": " + model.directory().resolve("tokenizer.json")
                    + " is missing; give \"prompt_ids\"");
        }
        if (!images.isEmpty() && !model.takesImages()) throw new IllegalArgumentException("\"images\": this model takes no images");
        for (Path image : images) {
            if (!Files.isRegularFile(image)) throw new IllegalArgumentException("\"images\": " + image + " is not a file");
        }
        PromptInput input = prompt.map(PromptInput::text).orElseGet(() -> PromptInput.ids(promptIds.orElseThrow()));
        return model.prepare(input.withImageFiles(images), Trace.NONE);
    }

    @Override
    public void close() {
        model.close();
    }
}
