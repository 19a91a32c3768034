package dev.akvq.model.qwen2vl;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Qwen2VLConfig;
import java.util.Arrays;
import java.util.List;

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
public final class Qwen2VLModel {
    private final Qwen2VLConfig config;
    private final Qwen2VLVisionTower tower;
    private final Qwen2VLMerger merger;
    private final LlamaDecoder decoder;
    private final MultimodalRotary rotary;

    /** The prompt ready for the decoder: embeddings with image features merged in, positions, modality per row. */
    public record Prompt(float[] embeds, MropePositions positions, Modality[] modality) {}

    public Qwen2VLModel(Qwen2VLConfig config, Qwen2VLVisionTower tower, Qwen2VLMerger merger, LlamaDecoder decoder) {
        this.config = config;
        this.tower = tower;
        this.merger = merger;
        this.decoder = decoder;
        this.rotary = new MultimodalRotary(config.textConfig());
    }

    /** Reads {@code visual.*} and the decoder under {@code model.*} (lm_head tied to the embeddings unless the config says otherwise). */
    public static Qwen2VLModel load(Checkpoint checkpoint, Qwen2VLConfig config, WorkerPool pool) {
        return new Qwen2VLModel(config, Qwen2VLVisionTower.load(checkpoint, config.visionConfig(), pool),
                Qwen2VLMerger.load(checkpoint, config.visionConfig(), pool),
                LlamaDecoder.forCausalLm(checkpoint, config.textConfig(), pool));
    }

    public Qwen2VLConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public Qwen2VLVisionTower tower() {
        return tower;
    }

    /**
     * Embeds {@code ids} and writes the image features over the {@code <|image_pad|>} rows.
     * {@code pixelValues} may be empty with no grids (a text-only prompt). The number of pad
     * tokens must equal the merged tokens of all grids, as 4.47.1 requires
     * ("Image features and image tokens do not match").
     */
    public Prompt prepare(int[] ids, float[] pixelValues, List<ImageGrid> grids, Trace trace) {
        int hidden = config.textConfig().hiddenSize(), merge = config.visionConfig().spatialMergeSize();
        if (!grids.isEmpty()) tower.checkInputs(pixelValues, grids);
        int pads = 0;
        for (int id : ids) if (id == config.imageTokenId()) pads++;
        int expected = 0;
        for (ImageGrid g : grids) expected += g.mergedTokens(merge);
        if (pads != expected) {
            throw new IllegalArgumentException("input_ids hold " + pads + " <|image_pad|> tokens (id " + config.imageTokenId()
                    + ") but image_grid_thw " + grids + " gives " + expected + " image features (t*h*w / spatial_merge_size^2"
                    + " each); HINT: expand each <|image_pad|> as Qwen2VLPrompt does");
        }
        float[] embeds = decoder.embed(ids);
        Modality[] modality = new Modality[ids.length];
        Arrays.fill(modality, Modality.TEXT);
        if (!grids.isEmpty()) {
            float[] features = merger.forward(tower.forward(pixelValues, grids, trace), trace);
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
        return new Prompt(embeds, positions, modality);
    }

    public Qwen2VLSequence newSequence(KvMode mode) {
        return new Qwen2VLSequence(decoder, rotary, mode);
    }

    /** A sequence caching as {@code settings} say (keys and values rotated in the store when they turn rotation on). */
    public Qwen2VLSequence newSequence(KvCacheSettings settings) {
        return new Qwen2VLSequence(decoder, rotary, settings);
    }
}
