package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * LLaVA-1.5 (LlavaForConditionalGeneration). Defaults from LlavaConfig, configuration_llava.py
 * at transformers 241c04d3: text_config llama (a dict without model_type is llama; no dict is
 * LlamaConfig()), vision_config clip_vision_model (no dict is {@link ClipVisionConfig#LLAVA_DEFAULT}),
 * projector_hidden_act gelu, vision_feature_layer -2, vision_feature_select_strategy "default"
 * (drop the class token; "full" keeps it), image_token_index 32000, image_seq_length 576.
 * multimodal_projector_bias (added to LlavaConfig after 4.47, default true, which is what 4.47's
 * projector always had) says whether the two projector linears have biases.
 *
 * @param visionFeatureLayers the layer(s) whose hidden states feed the projector; one int in
 *        config.json gives a one-element list, a list concatenates those layers' features.
 *        Index -k counts from the end of hidden_states, which has num_hidden_layers + 1 entries
 *        (embeddings first).
 */
public record LlavaConfig(TextDecoderConfig textConfig, ClipVisionConfig visionConfig, String projectorHiddenAct,
        List<Integer> visionFeatureLayers, String visionFeatureSelectStrategy, int imageTokenIndex,
        int imageSeqLength, boolean multimodalProjectorBias, OptionalInt padTokenId) implements ModelConfig {

    public LlavaConfig {
        Objects.requireNonNull(textConfig, "textConfig");
        Objects.requireNonNull(visionConfig, "visionConfig");
        Check.nonEmpty("projector_hidden_act", projectorHiddenAct);
        visionFeatureLayers = List.copyOf(visionFeatureLayers);
        if (visionFeatureLayers.isEmpty()) {
            throw new ConfigFieldException("vision_feature_layer", "must name at least one layer");
        }
        int states = visionConfig.numHiddenLayers() + 1;
        for (int layer : visionFeatureLayers) {
            if (layer < -states || layer >= states) {
                throw new ConfigFieldException("vision_feature_layer", "= " + layer + " is outside the " + states
                        + " hidden states of a " + visionConfig.numHiddenLayers() + "-layer vision tower (valid: "
                        + -states + " .. " + (states - 1) + ")");
            }
        }
        if (!visionFeatureSelectStrategy.equals("default") && !visionFeatureSelectStrategy.equals("full")) {
            throw new ConfigFieldException("vision_feature_select_strategy", "must be \"default\" or \"full\", found \""
                    + visionFeatureSelectStrategy + "\"");
        }
        if (imageTokenIndex < 0) {
            throw new ConfigFieldException("image_token_index", "must be >= 0, found " + imageTokenIndex);
        }
        Check.positive("image_seq_length", imageSeqLength);
        Objects.requireNonNull(padTokenId, "padTokenId");
    }

    @Override
    public String modelType() {
        return "llava";
    }

    /** Index into hidden_states (0 = embeddings) of each feature layer, negatives resolved. */
    public List<Integer> resolvedFeatureLayers() {
        int states = visionConfig.numHiddenLayers() + 1;
        return visionFeatureLayers.stream().map(l -> l < 0 ? states + l : l).toList();
    }

    public static LlavaConfig fromJson(JsonObject o) {
        TextDecoderConfig text = o.optObject("text_config").map(t -> TextDecoderConfig.fromJson(t, "llama"))
                .orElseGet(() -> TextDecoderConfig.fromJson(new JsonObject(java.util.Map.of(), o.sourceName()),
                        "llama"));
        ClipVisionConfig vision = o.optObject("vision_config").map(ClipVisionConfig::fromJson)
                .orElse(ClipVisionConfig.LLAVA_DEFAULT);
        return Check.in(o, () -> new LlavaConfig(text, vision,
                o.stringOr("projector_hidden_act", "gelu"),
                o.optIntOrIntList("vision_feature_layer").orElse(List.of(-2)),
                o.stringOr("vision_feature_select_strategy", "default"),
                o.intOr("image_token_index", 32000),
                o.intOr("image_seq_length", 576),
                o.booleanOr("multimodal_projector_bias", true),
                TextDecoderConfig.toOptionalInt(o.optInt("pad_token_id"))));
    }
}
