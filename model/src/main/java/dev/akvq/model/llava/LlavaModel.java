package dev.akvq.model.llava;

import dev.akvq.image.ProcessedImages;
import dev.akvq.model.ModelDirectory;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.WeightReader;
import dev.akvq.model.clip.ClipVisionTower;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llama.LlamaWeights;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ClipVisionConfig;
import dev.akvq.weights.config.LlavaConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * LLaVA-1.5 (LlavaForConditionalGeneration), following transformers 4.47.1 (commit 241c04d3)
 * modeling_llava.py with the prompt already expanded (one image token per feature row, as
 * LlavaProcessor writes it):
 *
 * <pre>
 * states   = CLIP(pixel_values).hidden_states                 ([images, 1 + patches, vision_hidden] each)
 * features = concat_l states[vision_feature_layer_l]          (along features; "default" drops the class token)
 * image    = projector(features)                              ([images · rows, text_hidden])
 * x        = embed_tokens(input_ids); x[image-token positions] = image rows, in order
 * logits   = Llama(x)
 * </pre>
 *
 * The positions that receive image rows are {@link Modality#VISION} in the KV cache.
 */
public final class LlavaModel implements VisionLanguageModel {
    private final LlavaConfig config;
    private final ClipVisionTower tower;
    private final LlavaProjector projector;
    private final LlamaDecoder decoder;
    private final ModelDirectory directory;
    /** Vision tower rows per batch outside a trace: 4 ViT-L/14-336 images (577 rows each). */
    static final int BATCH_ROWS = 2400;

    public LlavaModel(ModelDirectory directory, LlavaConfig config, ClipVisionTower tower, LlavaProjector projector,
                      LlamaDecoder decoder) {
        this.directory = directory;
        this.config = config;
        this.tower = tower;
        this.projector = projector;
        this.decoder = decoder;
    }

    /**
     * Reads the checkpoint in the 4.47 layout ({@code vision_tower.vision_model.*},
     * {@code multi_modal_projector.*}, {@code language_model.model.*}, {@code language_model.lm_head.weight}
     * unless tied) or the newer {@code model.*} one (the rename table of {@code CheckpointNaming}).
     */
    public static LlavaModel load(Checkpoint checkpoint, LlavaConfig config, WorkerPool pool) {
        return load(WeightReader.of(checkpoint, config), config, pool);
    }

    /** As {@link #load(Checkpoint, LlavaConfig, WorkerPool)}, through the tensors {@code weights} declares. */
    public static LlavaModel load(WeightReader weights, LlavaConfig config, WorkerPool pool) {
        ClipVisionTower tower = ClipVisionTower.load(weights, config.visionConfig(), "vision_tower.vision_model.", pool);
        LlavaProjector projector = LlavaProjector.load(weights, config, pool);
        LlamaDecoder decoder = new LlamaDecoder(config.textConfig(),
                LlamaWeights.load(weights, config.textConfig(), "language_model.model.", "language_model.lm_head.weight"), pool);
        weights.requireAllTaken();
        return new LlavaModel(new ModelDirectory(weights.directory()), config, tower, projector, decoder);
    }

    @Override
    public LlavaConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    @Override
    public boolean warmUp(KvCacheSettings settings) {
        return decoder.warmUp(settings);
    }

    /** Feature rows (image tokens) per image: the patches, plus the class token under strategy "full". */
    public int tokensPerImage() {
        return tokensPerImage(config);
    }

    static int tokensPerImage(LlavaConfig c) {
        return c.visionConfig().numPatches() + (c.visionFeatureSelectStrategy().equals("full") ? 1 : 0);
    }

    /** Floats of one image's pixel_values {@code [channels, image_size, image_size]}. */
    public int pixelsPerImage() {
        ClipVisionConfig v = config.visionConfig();
        return v.numChannels() * v.imageSize() * v.imageSize();
    }

    /**
     * The projector's output {@code [images · tokensPerImage, text_hidden]}: the rows that replace
     * the image tokens. Traces {@code pixel_values}, {@code vision_hidden_states.{i}} (all layers
     * when tracing, else only up to the deepest feature layer), {@code vision_features} and
     * {@code projector_output}.
     */
    public float[] imageFeatures(float[] pixelValues, int images, Trace trace) {
        return imageFeatures(pixelValues, images, trace, trace.enabled() ? images : Math.max(1, BATCH_ROWS / tower.tokensPerImage()));
    }

    /** As above, {@code perBatch} images through the tower at a time. */
    float[] imageFeatures(float[] pixelValues, int images, Trace trace, int perBatch) {
        ClipVisionConfig v = config.visionConfig();
        if (images < 1 || pixelValues.length != (long) images * pixelsPerImage()) {
            throw new IllegalArgumentException("pixel_values holds " + pixelValues.length + " floats; " + images + " images of ["
                    + v.numChannels() + ", " + v.imageSize() + ", " + v.imageSize() + "] (vision_config) need "
                    + (long) images * pixelsPerImage());
        }
        if (trace.enabled()) trace.put("pixel_values", pixelValues.clone(), images, v.numChannels(), v.imageSize(), v.imageSize());
        List<Integer> layers = config.resolvedFeatureLayers();
        int hidden = v.hiddenSize(), seq = tower.tokensPerImage(), rows = tokensPerImage(), skip = seq - rows;
        int width = hidden * layers.size();
        float[] features = new float[images * rows * width];
        // Images go through the tower a few at a time (an image's result does not depend on its
        // batch), which bounds the activations at about BATCH_ROWS rows; a trace runs them at once.
        List<Integer> wanted = trace.enabled() ? IntStream.rangeClosed(0, v.numHiddenLayers()).boxed().toList() : layers;
        for (int first = 0; first < images; first += perBatch) {
            int count = Math.min(perBatch, images - first);
            float[] batch = Arrays.copyOfRange(pixelValues, first * pixelsPerImage(), (first + count) * pixelsPerImage());
            Map<Integer, float[]> states = tower.hiddenStates(batch, count, wanted, trace);
            // Select: the class token is row 0 of each image; "default" drops it. Several layers: side by side.
            for (int image = 0; image < count; image++) {
                for (int r = 0; r < rows; r++) {
                    for (int l = 0; l < layers.size(); l++) {
                        System.arraycopy(states.get(layers.get(l)), (image * seq + skip + r) * hidden,
                                features, ((first + image) * rows + r) * width + l * hidden, hidden);
                    }
                }
            }
        }
        if (trace.enabled()) trace.put("vision_features", features.clone(), images, rows, width);
        float[] projected = projector.project(features, images * rows);
        if (trace.enabled()) trace.put("projector_output", projected.clone(), images, rows, projector.outputSize());
        return projected;
    }

    /**
     * Checks that {@code ids} holds exactly {@code images · tokensPerImage} image tokens; the
     * error says how many it has and how many the images need. Cheap: run it before any vision work.
     */
    public void checkImageTokens(int[] ids, int images) {
        int found = 0;
        for (int id : ids) if (id == config.imageTokenIndex()) found++;
        int per = tokensPerImage();
        if (found != (long) images * per) {
            throw new IllegalArgumentException("the prompt has " + found + " image tokens (id " + config.imageTokenIndex()
                    + ", image_token_index of config.json), " + images + " image" + (images == 1 ? "" : "s")
                    + " need " + (long) images * per + " (" + per + " per image"
                    + (found % per == 0 ? "; the prompt has slots for " + found / per + ")" : ")")
                    + " (HINT: expand each <image> to " + per + " tokens, as LlavaPrompt does)");
        }
    }

    /** Which positions of {@code ids} receive image rows. */
    public Modality[] modality(int[] ids) {
        Modality[] m = new Modality[ids.length];
        for (int t = 0; t < ids.length; t++) m[t] = ids[t] == config.imageTokenIndex() ? Modality.VISION : Modality.TEXT;
        return m;
    }

    /**
     * The decoder's input {@code [ids.length, text_hidden]}: token embeddings, with row {@code i}
     * of {@code imageRows} at the {@code i}-th image-token position (transformers'
     * {@code masked_scatter}: image by image, patch by patch).
     */
    public float[] mergedEmbeddings(int[] ids, float[] imageRows) {
        int hidden = config.textConfig().hiddenSize(), image = config.imageTokenIndex();
        int[] textIds = ids.clone();
        for (int t = 0; t < ids.length; t++) if (ids[t] == image) textIds[t] = 0;   // the row is overwritten below
        float[] x = decoder.embed(textIds);
        int next = 0;
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] != image) continue;
            if ((next + 1) * hidden > imageRows.length) {
                throw new IllegalArgumentException("more image tokens than image feature rows (" + imageRows.length / hidden + ")");
            }
            System.arraycopy(imageRows, next++ * hidden, x, t * hidden, hidden);
        }
        if (next * hidden != imageRows.length) {
            throw new IllegalArgumentException(imageRows.length / hidden + " image feature rows for " + next + " image tokens");
        }
        return x;
    }

    /**
     * LLaVA's request up to the decoder's input:
     * <ol>
     *   <li>the prompt: ids as given, or the text laid out as LLaVA-1.5's
     *       ({@code USER: Image 1: <image>\n... {text} ASSISTANT:}, or taken as written when it already holds
     *       {@code <image>}) and each {@code <image>} expanded as LlavaProcessor does ({@link LlavaPrompt});</li>
     *   <li>the image-token count checked against the images, before any image is decoded;</li>
     *   <li>pixel_values {@code [images, C, S, S]}: the images through preprocessor_config.json ({@link LlavaPixels}),
     *       or the tensor given;</li>
     *   <li>CLIP, feature selection and the projector ({@link #imageFeatures}), merged over the image tokens
     *       ({@link #mergedEmbeddings}), those positions marked vision.</li>
     * </ol>
     */
    @Override
    public PreparedPrompt prepare(PromptInput input, Trace trace) {
        ClipVisionConfig v = config.visionConfig();
        int images = input.imageCount();
        if (input.pixels().isPresent()) {
            long[] shape = input.pixels().get().pixelValuesShape();
            if (shape.length != 4 || shape[1] != v.numChannels() || shape[2] != v.imageSize() || shape[3] != v.imageSize()) {
                throw new IllegalArgumentException("expected pixel_values of shape [images, " + v.numChannels() + ", "
                        + v.imageSize() + ", " + v.imageSize() + "] (vision_config), found " + Arrays.toString(shape));
            }
            images = Math.toIntExact(shape[0]);
        }
        int count = images;
        int[] ids = input.ids().orElseGet(() -> {
            LlavaPrompt layout = LlavaPrompt.load(directory.path(), config, tokenizer());
            String text = input.text().orElseThrow();
            return layout.encode(layout.slots(text) > 0 ? text : layout.layout(text, count), count);  // placeholders vs images first
        });
        checkImageTokens(ids, images);                  // before decoding any image
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] != config.imageTokenIndex() && (ids[t] < 0 || ids[t] >= config.textConfig().vocabSize())) {
                throw new IllegalArgumentException("token id " + ids[t] + " at index " + t + " is outside the vocabulary [0, "
                        + config.textConfig().vocabSize() + ")");
            }
        }
        if (ids.length > config.textConfig().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt of " + ids.length + " tokens exceeds max_position_embeddings "
                    + config.textConfig().maxPositionEmbeddings() + " of config.json");
        }
        float[] pixels = input.pixels().map(ProcessedImages::pixelValues)
                .orElseGet(() -> LlavaPixels.ofDecoded(directory.path(), input.decodedImages(), config));
        float[] imageRows = images == 0 ? new float[0] : imageFeatures(pixels, images, trace);
        return new PreparedPrompt(ids, mergedEmbeddings(ids, imageRows), modality(ids), Optional.empty());
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
