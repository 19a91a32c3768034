package dev.akvq.cli;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.Idefics3ImageProcessor;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.model.Trace;
import dev.akvq.model.idefics3.Idefics3Model;
import dev.akvq.model.idefics3.Idefics3Prompt;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Idefics3Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code akvq run} on an Idefics3 (SmolVLM) checkpoint: the images through the model's
 * preprocessor_config.json ({@link ImageProcessor}), the prompt's {@code <image>} markers expanded
 * as Idefics3Processor does ({@link Idefics3Prompt}, with the model's image_seq_len), the image
 * embeddings merged in, and the prompt prefilled with its image positions marked vision.
 */
final class Idefics3Run {
    private Idefics3Run() {}

    /**
     * @param prompt    the text (with one {@code <image>} per image; when it has none, one per image is put in
     *                  front), or null when {@code promptIds} are given already expanded
     */
    static PrefilledPrompt prefill(Checkpoint checkpoint, Idefics3Config config, Path dir, Tokenizer tokenizer, String prompt,
                                   int[] promptIds, List<Path> imageFiles, KvCacheSettings settings, WorkerPool pool) {
        Idefics3Model model = Idefics3Model.load(checkpoint, config, pool);
        float[] imageEmbeddings = new float[0];
        List<Idefics3Prompt.Tiling> tilings = new ArrayList<>();
        if (!imageFiles.isEmpty()) {
            List<DecodedImage> images = new ArrayList<>();
            for (Path f : imageFiles) images.add(ImageDecoder.decode(f));
            ImageProcessor processor = ImageProcessor.load(dir);
            if (!(processor instanceof Idefics3ImageProcessor)) {
                throw new IllegalArgumentException(dir.resolve(ImageProcessor.CONFIG_FILE) + ": image_processor_type is "
                        + processor.type() + "; idefics3 needs " + Idefics3ImageProcessor.TYPE);
            }
            ProcessedImages processed = processor.process(images);
            long[] rowsCols = processed.extra("rows_cols").values();
            for (int i = 0; i < rowsCols.length; i += 2) tilings.add(new Idefics3Prompt.Tiling((int) rowsCols[i], (int) rowsCols[i + 1]));
            long[] mask = processed.extras().stream().anyMatch(e -> e.name().equals("pixel_attention_mask"))
                    ? processed.extra("pixel_attention_mask").values() : null;
            imageEmbeddings = model.imageEmbeddings(processed.pixelValues(), processed.pixelValuesShape(), mask, Trace.NONE);
        }
        int[] ids = promptIds;
        if (prompt != null) {
            String text = prompt.contains(Idefics3Prompt.IMAGE) ? prompt : Idefics3Prompt.IMAGE.repeat(tilings.size()) + prompt;
            // Idefics3Processor's image_seq_len must equal the model's (G / scale_factor)²; the model's is the one that fits.
            ids = Idefics3Prompt.encode(tokenizer, text, tilings, config.imageSeqLength(), true);
        }
        Idefics3Model.PromptEmbeddings embeddings = model.merge(ids, imageEmbeddings);
        LlamaSequence sequence = new LlamaSequence(model.decoder(), settings);
        float[] normed = sequence.prefill(embeddings.embeds(), embeddings.modality(), Trace.NONE);
        return new PrefilledPrompt(sequence, sequence.lastLogits(normed, ids.length), ids.length);
    }
}
