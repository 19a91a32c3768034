package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

/**
 * CLIP's vision tower (model_type clip_vision_model). Defaults from CLIPVisionConfig,
 * configuration_clip.py at transformers 241c04d3: hidden 768, intermediate 3072, projection
 * 512, 12 layers, 12 heads, 3 channels, image 224, patch 32, quick_gelu, layer_norm_eps 1e-5.
 * LLaVA without a vision_config uses {@link #LLAVA_DEFAULT} instead (configuration_llava.py):
 * CLIP ViT-L/14 at 336 pixels.
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int projectionDim, int numHiddenLayers,
        int numAttentionHeads, int numChannels, int imageSize, int patchSize, String hiddenAct,
        double layerNormEps) {

    public static final String MODEL_TYPE = "clip_vision_model";

    /** The vision config LlavaConfig builds when config.json has none. */
    public static final ClipVisionConfig LLAVA_DEFAULT =
            new ClipVisionConfig(1024, 4096, 768, 24, 16, 3, 336, 14, "quick_gelu", 1e-5);

    public ClipVisionConfig {
        Check.positive("hidden_size", hiddenSize);
        Check.positive("intermediate_size", intermediateSize);
        Check.positive("projection_dim", projectionDim);
        Check.positive("num_hidden_layers", numHiddenLayers);
        Check.positive("num_attention_heads", numAttentionHeads);
        Check.divides("num_attention_heads", numAttentionHeads, "hidden_size", hiddenSize);
        Check.positive("num_channels", numChannels);
        Check.positive("patch_size", patchSize);
        Check.positive("image_size", imageSize);
        if (imageSize < patchSize) {
            throw new ConfigFieldException("image_size", "= " + imageSize + " is smaller than patch_size = " + patchSize);
        }
        Check.nonEmpty("hidden_act", hiddenAct);
        Check.positiveFinite("layer_norm_eps", layerNormEps);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Patches per image side: the patch convolution has stride patch_size and no padding. */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Patch tokens per image, without the class token. */
    public int numPatches() {
        return patchesPerSide() * patchesPerSide();
    }

    public static ClipVisionConfig fromJson(JsonObject o) {
        String type = o.stringOr("model_type", MODEL_TYPE);
        if (!type.equals(MODEL_TYPE)) {
            throw o.fieldError("model_type", "expected \"" + MODEL_TYPE + "\", found \"" + type + "\"");
        }
        return Check.in(o, () -> new ClipVisionConfig(
                o.intOr("hidden_size", 768),
                o.intOr("intermediate_size", 3072),
                o.intOr("projection_dim", 512),
                o.intOr("num_hidden_layers", 12),
                o.intOr("num_attention_heads", 12),
                o.intOr("num_channels", 3),
                o.intOr("image_size", 224),
                o.intOr("patch_size", 32),
                o.stringOr("hidden_act", "quick_gelu"),
                o.doubleOr("layer_norm_eps", 1e-5)));
    }
}
