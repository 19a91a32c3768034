package dev.akvq.model.idefics3;

import dev.akvq.image.Idefics3ImageProcessor;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.model.ModelDirectory;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.WeightReader;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llama.LlamaWeights;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Idefics3Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Idefics3ForConditionalGeneration (SmolVLM), transformers 4.47.1 (commit 241c04d3)
 * modeling_idefics3.py, {@code Idefics3Model.forward} up to the text model:
 *
 * <pre>
 * pixel_values [1, N, C, S, S] → drop the all-zero (padding) images
 * patch mask   = any real pixel in each P x P patch of pixel_attention_mask (all ones if absent)
 * features     = vision tower(tiles, patch mask)                   [tiles, G², D]      {@link Idefics3VisionTower}
 * image embeds = connector(features)                               [tiles·(G/s)², H]   {@link Idefics3Connector}
 * embeds       = embed_tokens(input_ids), then the rows at image_token_id ← image embeds in order (inputs_merger)
 * logits       = Llama decoder(embeds) under "model.text_model.", lm_head "lm_head.weight"
 * </pre>
 *
 * The merged positions are {@link Modality#VISION} for the KV cache; everything else is text.
 */
public final class Idefics3Model implements VisionLanguageModel {
    private final Idefics3Config config;
    private final Idefics3VisionTower visionTower;
    private final Idefics3Connector connector;
    private final LlamaDecoder decoder;
    private final ModelDirectory directory;

    public Idefics3Model(ModelDirectory directory, Idefics3Config config, Idefics3VisionTower visionTower, Idefics3Connector connector,
                         LlamaDecoder decoder) {
        this.directory = directory;
        this.config = config;
        this.visionTower = visionTower;
        this.connector = connector;
        this.decoder = decoder;
    }

    public static Idefics3Model load(Checkpoint checkpoint, Idefics3Config config, WorkerPool pool) {
        return load(WeightReader.of(checkpoint, config), config, pool);
    }

    /** As {@link #load(Checkpoint, Idefics3Config, WorkerPool)}, through the tensors {@code weights} declares. */
    public static Idefics3Model load(WeightReader weights, Idefics3Config config, WorkerPool pool) {
        var tower = new Idefics3VisionTower(config.visionConfig(),
                Idefics3VisionTower.Weights.load(weights, config.visionConfig(), "model.vision_model."), pool);
        var connector = Idefics3Connector.load(weights, config, pool);
        var text = config.textConfig();
        var decoder = new LlamaDecoder(text, LlamaWeights.load(weights, text, "model.text_model.", "lm_head.weight"), pool);
        weights.requireAllTaken();
        return new Idefics3Model(new ModelDirectory(weights.directory()), config, tower, connector, decoder);
    }

    @Override
    public Idefics3Config config() {
        return config;
    }

    public Idefics3VisionTower visionTower() {
        return visionTower;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    @Override
    public boolean warmUp(KvCacheSettings settings) {
        return decoder.warmUp(settings);
    }

    /**
     * The image embeddings {@code [tiles·image_seq_len, text hidden]} of one sequence's images.
     *
     * @param pixelValues {@code [1, N, C, S, S]} with {@code shape} as given
     * @param pixelMask   {@code [1, N, S, S]} (1 = real pixel), or null for all real
     */
    public float[] imageEmbeddings(float[] pixelValues, long[] shape, long[] pixelMask, Trace trace) {
        var vc = config.visionConfig();
        long[] expected = {1, shape.length > 1 ? shape[1] : -1, vc.numChannels(), vc.imageSize(), vc.imageSize()};
        if (shape.length != 5 || shape[0] != 1 || shape[1] < 1 || !Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException("pixel_values: shape " + Arrays.toString(shape) + ", expected [1, N, "
                    + vc.numChannels() + ", " + vc.imageSize() + ", " + vc.imageSize() + "] (one sequence of N tiles of"
                    + " vision_config num_channels x image_size x image_size)");
        }
        int images = (int) shape[1], perImage = vc.numChannels() * vc.imageSize() * vc.imageSize();
        int maskPerImage = vc.imageSize() * vc.imageSize();
        if (pixelMask != null && pixelMask.length != (long) images * maskPerImage) {
            throw new IllegalArgumentException("pixel_attention_mask: " + pixelMask.length + " values, expected [1, " + images
                    + ", " + vc.imageSize() + ", " + vc.imageSize() + "] to match pixel_values");
        }
        // Padding images are all 0.0 (Idefics3Model.forward: real_images_inds); they never reach the tower.
        int tiles = 0;
        float[] real = new float[images * perImage];
        long[] realMask = new long[images * maskPerImage];
        for (int i = 0; i < images; i++) {
            boolean allZero = true;
            for (int j = 0; j < perImage && allZero; j++) allZero = pixelValues[i * perImage + j] == 0f;
            if (allZero) continue;
            System.arraycopy(pixelValues, i * perImage, real, tiles * perImage, perImage);
            if (pixelMask != null) System.arraycopy(pixelMask, i * maskPerImage, realMask, tiles * maskPerImage, maskPerImage);
            else Arrays.fill(realMask, tiles * maskPerImage, (tiles + 1) * maskPerImage, 1L);
            tiles++;
        }
        if (tiles == 0) return new float[0];
        float[] pixels = Arrays.copyOf(real, tiles * perImage);
        boolean[] patchMask = visionTower.patchMask(Arrays.copyOf(realMask, tiles * maskPerImage), tiles);
        float[] features = visionTower.forward(pixels, patchMask, tiles, trace);
        return connector.forward(features, tiles, trace);
    }

    /**
     * Token embeddings with the image embeddings in the {@code <image>} positions, in order
     * (Idefics3Model.inputs_merger). The counts must agree exactly.
     */
    public PreparedPrompt merge(int[] ids, float[] imageEmbeddings) {
        int hidden = config.textConfig().hiddenSize();
        int imageRows = imageEmbeddings.length / hidden, imageTokens = 0;
        for (int id : ids) if (id == config.imageTokenId()) imageTokens++;
        if (imageTokens != imageRows) {
            throw new IllegalArgumentException("input_ids hold " + imageTokens + " image tokens (image_token_id "
                    + config.imageTokenId() + ") but the images give " + imageRows + " embeddings ("
                    + config.imageSeqLength() + " per tile); the prompt must be built for these pixel_values");
        }
        float[] embeds = decoder.embed(ids);
        Modality[] modality = new Modality[ids.length];
        int next = 0;
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] == config.imageTokenId()) {
                System.arraycopy(imageEmbeddings, next++ * hidden, embeds, t * hidden, hidden);
                modality[t] = Modality.VISION;
            } else {
                modality[t] = Modality.TEXT;
            }
        }
        return new PreparedPrompt(ids, embeds, modality, Optional.empty());
    }

    /**
     * Idefics3's request up to the decoder's input:
     * <ol>
     *   <li>images (files or decoded) through preprocessor_config.json's Idefics3ImageProcessor: tiles of
     *       pixel_values {@code [1, N, C, S, S]}, pixel_attention_mask and each image's rows x cols; or the
     *       tensors given;</li>
     *   <li>the vision tower and the connector ({@link #imageEmbeddings});</li>
     *   <li>the prompt: ids as given, or the text with one {@code <image>} per image (put in front when it has
     *       none) expanded as Idefics3Processor does ({@link Idefics3Prompt}, with the model's image_seq_len);</li>
     *   <li>the image embeddings merged over the image tokens ({@link #merge}), those positions marked vision.</li>
     * </ol>
     */
    @Override
    public PreparedPrompt prepare(PromptInput input, Trace trace) {
        Optional<ProcessedImages> pixels = input.pixels();
        if (input.hasRawImages()) {
            ImageProcessor processor = ImageProcessor.load(directory.path());
            if (!(processor instanceof Idefics3ImageProcessor)) {
                throw new IllegalArgumentException(directory.path().resolve(ImageProcessor.CONFIG_FILE) + ": image_processor_type is "
                        + processor.type() + "; idefics3 needs " + Idefics3ImageProcessor.TYPE);
            }
            pixels = Optional.of(processor.process(input.decodedImages()));
        }
        float[] imageEmbeddings = new float[0];
        List<Idefics3Prompt.Tiling> tilings = new ArrayList<>();
        if (pixels.isPresent()) {
            ProcessedImages p = pixels.get();
            Optional<long[]> rowsCols = extra(p, "rows_cols");
            for (int i = 0; rowsCols.isPresent() && i < rowsCols.get().length; i += 2) {
                tilings.add(new Idefics3Prompt.Tiling((int) rowsCols.get()[i], (int) rowsCols.get()[i + 1]));
            }
            long[] mask = extra(p, "pixel_attention_mask").orElse(null);
            imageEmbeddings = imageEmbeddings(p.pixelValues(), p.pixelValuesShape(), mask, trace);
        }
        int[] ids = input.ids().orElseGet(() -> {
            String text = input.text().orElseThrow();
            if (!text.contains(Idefics3Prompt.IMAGE)) text = Idefics3Prompt.IMAGE.repeat(tilings.size()) + text;
            // Idefics3Processor's image_seq_len must equal the model's (G / scale_factor)²; the model's is the one that fits.
            return Idefics3Prompt.encode(tokenizer(), text, tilings, config.imageSeqLength(), true);
        });
        return merge(ids, imageEmbeddings);
    }

    private static Optional<long[]> extra(ProcessedImages p, String name) {
        return p.extras().stream().filter(e -> e.name().equals(name)).findFirst().map(ProcessedImages.Extra::values);
    }

    /** The Llama decoder over the merged prompt, positions 0, 1, 2, ... */
    @Override
    public LlamaSequence prefill(PreparedPrompt prompt, KvCacheSettings settings, Trace trace) {
        return LlamaSequence.prefilled(decoder, prompt, settings, trace);
    }

    @Override
    public LlamaSequence queue(PreparedPrompt prompt, KvCacheSettings settings) {
        return LlamaSequence.queued(decoder, prompt, settings);
    }

    @Override
    public ModelDirectory files() {
        return directory;
    }

    @Override
    public boolean takesImages() {
        return true;
    }
}
