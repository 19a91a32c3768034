package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * Qwen2-VL (Qwen2VLForConditionalGeneration). Qwen2VLConfig (configuration_qwen2_vl.py at
 * transformers 241c04d3) keeps the decoder's fields at the top level, read here into a
 * {@link TextDecoderConfig} of model_type qwen2_vl with that class's defaults.
 *
 * <p>The special token ids are not parameters of Qwen2VLConfig in 4.47.1: they arrive through
 * kwargs, and the model reads {@code image_token_id}, {@code video_token_id} and
 * {@code vision_start_token_id} (get_rope_index) with no fallback, so they are required here.
 * M-RoPE is required too: Qwen2VLAttention reads {@code rope_scaling["mrope_section"]}
 * unconditionally; its parts must sum to head_dim / 2 (temporal, height, width).
 */
public record Qwen2VLConfig(TextDecoderConfig textConfig, Qwen2VLVisionConfig visionConfig, int imageTokenId,
        int videoTokenId, int visionStartTokenId, OptionalInt visionEndTokenId) implements ModelConfig {

    public Qwen2VLConfig {
        Objects.requireNonNull(textConfig, "textConfig");
        Objects.requireNonNull(visionConfig, "visionConfig");
        if (textConfig.ropeScaling().isEmpty() || !textConfig.ropeScaling().get().isMrope()) {
            throw new ConfigFieldException("rope_scaling", "Qwen2-VL needs rope_scaling with an mrope_section"
                    + " (e.g. {\"type\": \"mrope\", \"mrope_section\": [16, 24, 24]})");
        }
        if (visionConfig.hiddenSize() != textConfig.hiddenSize()) {
            throw new ConfigFieldException("vision_config.hidden_size", "= " + visionConfig.hiddenSize()
                    + " must equal the decoder's hidden_size = " + textConfig.hiddenSize()
                    + " (the patch merger writes into the decoder's embedding space)");
        }
        Objects.requireNonNull(visionEndTokenId, "visionEndTokenId");
    }

    @Override
    public String modelType() {
        return "qwen2_vl";
    }

    public static Qwen2VLConfig fromJson(JsonObject o) {
        TextDecoderConfig text = TextDecoderConfig.fromJson(o, "qwen2_vl");
        if (!text.modelType().equals("qwen2_vl")) {
            throw o.fieldError("model_type", "expected \"qwen2_vl\", found \"" + text.modelType() + "\"");
        }
        Qwen2VLVisionConfig vision = Qwen2VLVisionConfig.fromJson(o.optObject("vision_config")
                .orElseGet(() -> new JsonObject(java.util.Map.of(), o.sourceName())));
        return Check.in(o, () -> new Qwen2VLConfig(text, vision,
                o.requireInt("image_token_id"),
                o.requireInt("video_token_id"),
                o.requireInt("vision_start_token_id"),
                TextDecoderConfig.toOptionalInt(o.optInt("vision_end_token_id"))));
    }
}
