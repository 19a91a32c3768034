package dev.akvq.cli;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.image.Qwen2VLImageProcessor;
import dev.akvq.model.Trace;
import dev.akvq.model.qwen2vl.ImageGrid;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.model.qwen2vl.Qwen2VLPrompt;
import dev.akvq.model.qwen2vl.Qwen2VLSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Qwen2VLConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code akvq run} on a qwen2_vl checkpoint: the prompt laid out with Qwen2-VL-Instruct's chat
 * template ({@link Qwen2VLPrompt}: default system turn, one user turn holding the images then the
 * text, the generation prompt), or taken as written when it already holds {@code <|image_pad|>};
 * the images through the model's preprocessor_config.json (Qwen2VLImageProcessor), each
 * {@code <|image_pad|>} expanded to its grid's merged tokens as Qwen2VLProcessor does; then
 * {@link Qwen2VLModel#prepare} (tower, merger, M-RoPE positions) and the prefill.
 */
final class Qwen2VLRun {
    private Qwen2VLRun() {}

    /**
     * @param prompt the user's text (with one {@code <|image_pad|>} per image when written out in full), or
     *               null when {@code promptIds} are given with the pads already expanded
     */
    static PrefilledPrompt prefill(Checkpoint checkpoint, Qwen2VLConfig config, Path dir, Tokenizer tokenizer, String prompt,
                                   int[] promptIds, List<Path> imageFiles, KvCacheSettings settings, WorkerPool pool) {
        int merge = config.visionConfig().spatialMergeSize();
        float[] pixelValues = new float[0];
        List<ImageGrid> grids = List.of();
        if (!imageFiles.isEmpty()) {
            List<DecodedImage> images = new ArrayList<>();
            for (Path f : imageFiles) {
                if (!Files.isRegularFile(f)) throw new UsageException("--image: " + f + " is not a file");
                images.add(ImageDecoder.decode(f));
            }
            ImageProcessor processor = ImageProcessor.load(dir);
            if (!(processor instanceof Qwen2VLImageProcessor q)) {
                throw new IllegalArgumentException(dir.resolve(ImageProcessor.CONFIG_FILE) + ": image_processor_type is "
                        + processor.type() + "; qwen2_vl needs " + Qwen2VLImageProcessor.TYPE);
            }
            if (q.mergeSize() != merge) {
                throw new IllegalArgumentException(dir.resolve(ImageProcessor.CONFIG_FILE) + ": merge_size = " + q.mergeSize()
                        + " differs from config.json's vision_config.spatial_merge_size = " + merge
                        + " (the processor would make grids and <|image_pad|> counts the merger does not match)");
            }
            ProcessedImages processed = q.process(images);
            grids = ImageGrid.fromThw(processed.extra("image_grid_thw").values());
            pixelValues = processed.pixelValues();
            // Before any weight is read: the model's merger joins merge x merge patches of every grid.
            ImageGrid.checkAgainst(grids, Math.toIntExact(processed.pixelValuesShape()[0]), merge);
        }
        int[] ids = promptIds;
        if (prompt != null) {
            String text = prompt.contains(Qwen2VLPrompt.IMAGE_PAD) ? prompt : layout(prompt, imageFiles.size());
            ids = Qwen2VLPrompt.encode(tokenizer, text, grids, List.of(), merge);
        }
        Qwen2VLModel model = Qwen2VLModel.load(checkpoint, config, pool);
        Qwen2VLModel.Prompt prepared = model.prepare(ids, pixelValues, grids, Trace.NONE);
        Qwen2VLSequence sequence = model.newSequence(settings);
        float[] normed = sequence.prefill(prepared.embeds(), prepared.positions(), prepared.modality(), Trace.NONE);
        return new PrefilledPrompt(sequence, sequence.lastLogits(normed, ids.length), ids.length);
    }

    /** The chat template with one user turn: the images first, then the text (Qwen2-VL's model card order). */
    static String layout(String text, int images) {
        Qwen2VLPrompt p = new Qwen2VLPrompt().user();
        for (int i = 0; i < images; i++) p.image();
        return p.text(text).build();
    }
}
