package dev.akvq.cli;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.LlavaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code akvq run} on a LLaVA checkpoint: the prompt laid out as LLaVA-1.5's
 * ({@code USER: Image 1: <image>\n... {prompt} ASSISTANT:}, or taken as written when it already
 * holds {@code <image>}) and expanded as LlavaProcessor does ({@link LlavaPrompt}), each image
 * through the model's preprocessor_config.json ({@link LlavaImages}), then the prefill with the
 * image rows merged in and marked vision.
 */
final class LlavaRun {
    private LlavaRun() {}

    /** The prefilled sequence, the last position's logits and the prompt's length in tokens. */
    record Prefilled(LlamaSequence sequence, float[] logits, int promptTokens) {}

    /**
     * @param prompt    the question or the whole prompt text, or null when {@code promptIds} are given
     *                  with the image tokens already expanded
     */
    static Prefilled prefill(Checkpoint checkpoint, LlavaConfig config, Path dir, Tokenizer tokenizer, String prompt,
                             int[] promptIds, List<Path> imageFiles, KvCacheSettings settings, WorkerPool pool) {
        for (Path f : imageFiles) {
            if (!Files.isRegularFile(f)) throw new UsageException("--image: " + f + " is not a file");
        }
        int[] ids = promptIds;
        if (prompt != null) {
            LlavaPrompt layout = LlavaPrompt.load(dir, config, tokenizer);
            String text = layout.slots(prompt) > 0 ? prompt : layout.layout(prompt, imageFiles.size());
            ids = layout.encode(text, imageFiles.size());   // placeholders checked against the images first
        }
        LlavaModel model = LlavaModel.load(checkpoint, config, pool);
        model.checkImageTokens(ids, imageFiles.size());    // before decoding any image
        float[] pixels = LlavaImages.pixelValues(dir, imageFiles, config);
        LlavaModel.Prefilled prefilled = model.prefill(ids, pixels, imageFiles.size(), settings, Trace.NONE);
        return new Prefilled(prefilled.sequence(), prefilled.lastLogits(), ids.length);
    }
}
