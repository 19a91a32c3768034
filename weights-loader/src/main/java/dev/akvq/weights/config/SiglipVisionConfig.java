package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

/**
 * A SigLIP-style vision tower: Idefics3's (SmolVLM's) encoder and SigLIP's own. Same fields,
 * different defaults (transformers 241c04d3):
 * <ul>
 *   <li>Idefics3VisionConfig (configuration_idefics3.py, model_type idefics3_vision): hidden
 *       1152, intermediate 3072, 12 layers, 16 heads, 3 channels, image 224, patch 32,
 *       gelu_pytorch_tanh, layer_norm_eps 1e-6. Idefics3Config builds this class from its
 *       vision_config whatever model_type the dict names, so {@link #fromIdefics3Json} does too.</li>
 *   <li>SiglipVisionConfig (configuration_siglip.py, model_type siglip_vision_model): hidden
 *       768, intermediate 3072, 12 layers, 12 heads, 3 channels, image 224, patch 16,
 *       gelu_pytorch_tanh, layer_norm_eps 1e-6.</li>
 * </ul>
 */
public record SiglipVisionConfig(String modelType, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps) {

    public SiglipVisionConfig {
        Check.nonEmpty("model_type", modelType);
        Check.positive("hidden_size", hiddenSize);
        Check.positive("intermediate_size", intermediateSize);
        Check.positive("num_hidden_layers", numHiddenLayers);
        Check.positive("num_attention_heads", numAttentionHeads);
        Check.divides("num_attention_heads", numAttentionHeads, "hidden_size", hiddenSize);
        Check.positive("num_channels", numChannels);
        Check.positive("patch_size", patchSize);
        Check.positive("image_size", imageSize);
        if (imageSize % patchSize != 0) {
            throw new ConfigFieldException("image_size", "= " + imageSize + " is not a multiple of patch_size = "
                    + patchSize);
        }
        Check.nonEmpty("hidden_act", hiddenAct);
        Check.positiveFinite("layer_norm_eps", layerNormEps);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    public int numPatches() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Idefics3's vision_config, with Idefics3VisionConfig's defaults. */
    public static SiglipVisionConfig fromIdefics3Json(JsonObject o) {
        return read(o, "idefics3_vision", 1152, 16, 32);
    }

    /** A siglip_vision_model config, with SiglipVisionConfig's defaults. */
    public static SiglipVisionConfig fromSiglipJson(JsonObject o) {
        return read(o, "siglip_vision_model", 768, 12, 16);
    }

    private static SiglipVisionConfig read(JsonObject o, String defaultType, int hidden, int heads, int patch) {
        return Check.in(o, () -> new SiglipVisionConfig(
                o.stringOr("model_type", defaultType),
                o.intOr("hidden_size", hidden),
                o.intOr("intermediate_size", 3072),
                o.intOr("num_hidden_layers", 12),
                o.intOr("num_attention_heads", heads),
                o.intOr("num_channels", 3),
                o.intOr("image_size", 224),
                o.intOr("patch_size", patch),
                o.stringOr("hidden_act", "gelu_pytorch_tanh"),
                o.doubleOr("layer_norm_eps", 1e-6)));
    }
}
