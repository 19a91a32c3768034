package dev.akvq.model.qwen2vl;

import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.image.Qwen2VLImageProcessor;
import dev.akvq.model.ModelDirectory;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.WeightReader;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Qwen2VLConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Qwen2VLForConditionalGeneration (transformers 4.47.1, modeling_qwen2_vl.py at 241c04d3):
 *
 * <pre>
 * features = merger(tower(pixel_values, image_grid_thw))          [Σ t·h·w / m², hidden]
 * embeds   = embed_tokens(input_ids), rows at &lt;|image_pad|&gt; replaced by features in order
 * positions, rope_deltas = get_rope_index(input_ids, image_grid_thw)   (M-RoPE)
 * logits   = lm_head(Qwen2 decoder(embeds, positions))           (lm_head tied to embed_tokens)
 * </pre>
 */
public final class Qwen2VLModel implements VisionLanguageModel {
    private final Qwen2VLConfig config;
    private final MultimodalRotary rotary;
    private final ModelDirectory directory;
    private final Supplier<Weights> loader;
    private Weights weights;

    /** The tower, the merger and the decoder. */
    private record Weights(Qwen2VLVisionTower tower, Qwen2VLMerger merger, LlamaDecoder decoder) {}

    private Qwen2VLModel(ModelDirectory directory, Qwen2VLConfig config, Supplier<Weights> loader) {
        this.directory = directory;
        this.config = config;
        this.loader = loader;
        this.rotary = new MultimodalRotary(config.textConfig());
    }

    /**
     * Reads {@code visual.*} and the decoder under {@code model.*} (lm_head tied to the embeddings unless
     * the config says otherwise) on first use, so that {@link #prepare(PromptInput, Trace)} names a
     * processor or grid that disagrees with config.json before any weight's shape is checked.
     */
    public static Qwen2VLModel load(Checkpoint checkpoint, Qwen2VLConfig config, WorkerPool pool) {
        return new Qwen2VLModel(new ModelDirectory(checkpoint.directory()), config, () -> weights(WeightReader.of(checkpoint, config), config, pool));
    }

    /** As {@link #load(Checkpoint, Qwen2VLConfig, WorkerPool)}, through the tensors {@code weights} declares (read on first use). */
    public static Qwen2VLModel load(WeightReader weights, Qwen2VLConfig config, WorkerPool pool) {
        return new Qwen2VLModel(new ModelDirectory(weights.directory()), config, () -> weights(weights, config, pool));
    }

    private static Weights weights(WeightReader r, Qwen2VLConfig config, WorkerPool pool) {
        Weights w = new Weights(Qwen2VLVisionTower.load(r, config.visionConfig(), pool), Qwen2VLMerger.load(r, config.visionConfig(), pool),
                LlamaDecoder.forCausalLm(r, config.textConfig(), pool));
        r.requireAllTaken();
        return w;
    }

    private synchronized Weights weights() {
        if (weights == null) weights = loader.get();
        return weights;
    }

    @Override
    public Qwen2VLConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return weights().decoder();
    }

    @Override
    public boolean warmUp(KvCacheSettings settings) {
        return decoder().warmUp(settings);
    }

    public Qwen2VLVisionTower tower() {
        return weights().tower();
    }

    /**
     * Embeds {@code ids} and writes the image features over the {@code <|image_pad|>} rows.
     * {@code pixelValues} may be empty with no grids (a text-only prompt). The number of pad
     * tokens must equal the merged tokens of all grids, as 4.47.1 requires
     * ("Image features and image tokens do not match").
     */
    public PreparedPrompt prepare(int[] ids, float[] pixelValues, List<ImageGrid> grids, Trace trace) {
        int hidden = config.textConfig().hiddenSize(), merge = config.visionConfig().spatialMergeSize();
        if (!grids.isEmpty()) tower().checkInputs(pixelValues, grids);
        int pads = 0;
        for (int id : ids) if (id == config.imageTokenId()) pads++;
        int expected = 0;
        for (ImageGrid g : grids) expected += g.mergedTokens(merge);
        if (pads != expected) {
            throw new IllegalArgumentException("input_ids hold " + pads + " <|image_pad|> tokens (id " + config.imageTokenId()
                    + ") but image_grid_thw " + grids + " gives " + expected + " image features (t*h*w / spatial_merge_size^2"
                    + " each); HINT: expand each <|image_pad|> as Qwen2VLPrompt does");
        }
        float[] embeds = decoder().embed(ids);
        Modality[] modality = new Modality[ids.length];
        Arrays.fill(modality, Modality.TEXT);
        if (!grids.isEmpty()) {
            float[] features = weights().merger().forward(tower().forward(pixelValues, grids, trace), trace);
            for (int t = 0, row = 0; t < ids.length; t++) {
                if (ids[t] != config.imageTokenId()) continue;
                System.arraycopy(features, row++ * hidden, embeds, t * hidden, hidden);
                modality[t] = Modality.VISION;
            }
        } else if (pixelValues.length != 0) {
            throw new IllegalArgumentException("pixel_values given without image_grid_thw");
        }
        MropePositions positions = MropePositions.of(ids, grids, List.of(), config.imageTokenId(), config.videoTokenId(),
                config.visionStartTokenId(), merge);
        return new PreparedPrompt(ids, embeds, modality, Optional.of(positions));
    }

    /**
     * Qwen2-VL's request up to the decoder's input:
     * <ol>
     *   <li>images (files or decoded) through preprocessor_config.json's Qwen2VLImageProcessor (its merge_size
     *       must be the model's spatial_merge_size): pixel_values {@code [patches, C·T·P·P]} and image_grid_thw;
     *       or the tensors given;</li>
     *   <li>the grids checked against the patches before any weight is read;</li>
     *   <li>the prompt: ids as given, or the text laid out with Qwen2-VL-Instruct's chat template
     *       ({@link #chatLayout}; taken as written when it holds {@code <|image_pad|>}), each pad expanded to its
     *       grid's merged tokens as Qwen2VLProcessor does ({@link Qwen2VLPrompt});</li>
     *   <li>tower, merger, merge and M-RoPE positions ({@link #prepare(int[], float[], List, Trace)}).</li>
     * </ol>
     */
    @Override
    public PreparedPrompt prepare(PromptInput input, Trace trace) {
        int merge = config.visionConfig().spatialMergeSize();
        float[] pixelValues = new float[0];
        List<ImageGrid> grids = List.of();
        Optional<ProcessedImages> pixels = input.pixels();
        if (input.hasRawImages()) {
            Path file = directory.path().resolve(ImageProcessor.CONFIG_FILE);
            ImageProcessor processor = ImageProcessor.load(directory.path());
            if (!(processor instanceof Qwen2VLImageProcessor q)) {
                throw new IllegalArgumentException(file + ": image_processor_type is " + processor.type() + "; qwen2_vl needs "
                        + Qwen2VLImageProcessor.TYPE);
            }
            if (q.mergeSize() != merge) {
                throw new IllegalArgumentException(file + ": merge_size = " + q.mergeSize()
                        + " differs from config.json's vision_config.spatial_merge_size = " + merge
                        + " (the processor would make grids and <|image_pad|> counts the merger does not match)");
            }
            pixels = Optional.of(q.process(input.decodedImages()));
        }
        if (pixels.isPresent()) {
            ProcessedImages p = pixels.get();
            ProcessedImages.Extra thw = p.extras().stream().filter(e -> e.name().equals("image_grid_thw")).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("pixel_values and image_grid_thw come together; found only pixel_values"));
            if (thw.shape().length != 2 || thw.shape()[1] != 3) {
                throw new IllegalArgumentException("expected image_grid_thw [images, 3], found " + Arrays.toString(thw.shape()));
            }
            long[] shape = p.pixelValuesShape();
            if (shape.length != 2) throw new IllegalArgumentException("expected pixel_values [patches, values], found " + Arrays.toString(shape));
            grids = ImageGrid.fromThw(thw.values());
            // Before any weight is read: the merger joins spatial_merge_size² patches of every grid.
            ImageGrid.checkAgainst(grids, Math.toIntExact(shape[0]), merge);
            pixelValues = p.pixelValues();
        }
        List<ImageGrid> imageGrids = grids;
        int[] ids = input.ids().orElseGet(() -> {
            String text = input.text().orElseThrow();
            if (!text.contains(Qwen2VLPrompt.IMAGE_PAD)) text = chatLayout(text, imageGrids.size());
            return Qwen2VLPrompt.encode(tokenizer(), text, imageGrids, List.of(), merge);
        });
        return prepare(ids, pixelValues, imageGrids, trace);
    }

    /** The chat template with one user turn: the images first, then the text (Qwen2-VL's model card order). */
    public static String chatLayout(String text, int images) {
        Qwen2VLPrompt p = new Qwen2VLPrompt().user();
        for (int i = 0; i < images; i++) p.image();
        return p.text(text).build();
    }

    /** A sequence caching as {@code settings} say (keys and values rotated in the store when they turn rotation on). */
    public Qwen2VLSequence newSequence(KvCacheSettings settings) {
        return new Qwen2VLSequence(decoder(), rotary, settings);
    }

    /** The decoder over the merged prompt at its M-RoPE positions (text positions 0, 1, 2, ... without them). */
    @Override
    public Qwen2VLSequence prefill(PreparedPrompt prompt, KvCacheSettings settings, Trace trace) {
        Qwen2VLSequence sequence = newSequence(settings);
        MropePositions positions = prompt.mropePositions().orElseGet(() -> MropePositions.text(prompt.tokens()));
        sequence.prefill(prompt.embeds().clone(), positions, prompt.modality(), trace);   // forward adds into its input
        return sequence;
    }

    @Override
    public Qwen2VLSequence queue(PreparedPrompt prompt, KvCacheSettings settings) {
        Qwen2VLSequence sequence = newSequence(settings);
        sequence.queuePrompt(prompt.embeds(), prompt.mropePositions().orElseGet(() -> MropePositions.text(prompt.tokens())),
                prompt.modality());
        return sequence;
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
