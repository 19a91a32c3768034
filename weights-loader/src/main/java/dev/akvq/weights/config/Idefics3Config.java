package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Idefics3 / SmolVLM (Idefics3ForConditionalGeneration). Defaults from Idefics3Config,
 * configuration_idefics3.py at transformers 241c04d3: image_token_id 128257, scale_factor 2
 * (the pixel shuffle folds scale_factor² neighbouring patches into one token before the
 * connector), pad_token_id 128002, tie_word_embeddings false; vision_config is always an
 * Idefics3VisionConfig ({@link SiglipVisionConfig#fromIdefics3Json}); a text_config dict without
 * model_type is llama, and no text_config is LlamaConfig(rms_norm_eps=1e-5,
 * pad_token_id=pad_token_id, tie_word_embeddings=False).
 */
public record Idefics3Config(TextDecoderConfig textConfig, SiglipVisionConfig visionConfig, int scaleFactor,
        int imageTokenId, OptionalInt padTokenId, boolean tieWordEmbeddings) implements ModelConfig {

    public Idefics3Config {
        Objects.requireNonNull(textConfig, "textConfig");
        Objects.requireNonNull(visionConfig, "visionConfig");
        Check.positive("scale_factor", scaleFactor);
        if (visionConfig.patchesPerSide() % scaleFactor != 0) {
            throw new ConfigFieldException("scale_factor", "= " + scaleFactor + " must divide the "
                    + visionConfig.patchesPerSide() + " patches per side (vision image_size / patch_size) for the"
                    + " pixel shuffle");
        }
        if (imageTokenId < 0) throw new ConfigFieldException("image_token_id", "must be >= 0, found " + imageTokenId);
        Objects.requireNonNull(padTokenId, "padTokenId");
    }

    @Override
    public String modelType() {
        return "idefics3";
    }

    /** Image tokens per tile after the pixel shuffle: (patches per side / scale_factor)². */
    public int imageSeqLength() {
        int side = visionConfig.patchesPerSide() / scaleFactor;
        return side * side;
    }

    /** Connector input width: vision hidden_size × scale_factor². */
    public int connectorInputDim() {
        return visionConfig.hiddenSize() * scaleFactor * scaleFactor;
    }

    public static Idefics3Config fromJson(JsonObject o) {
        OptionalInt pad = o.has("pad_token_id") ? TextDecoderConfig.toOptionalInt(o.optInt("pad_token_id"))
                : OptionalInt.of(128_002);
        TextDecoderConfig text = o.optObject("text_config").map(t -> TextDecoderConfig.fromJson(t, "llama"))
                .orElseGet(() -> {
                    Map<String, JsonValue> m = new LinkedHashMap<>();
                    m.put("rms_norm_eps", new JsonNumber("1e-5"));
                    pad.ifPresent(p -> m.put("pad_token_id", new JsonNumber(Integer.toString(p))));
                    return TextDecoderConfig.fromJson(new JsonObject(m, o.sourceName()), "llama");
                });
        SiglipVisionConfig vision = o.optObject("vision_config").map(SiglipVisionConfig::fromIdefics3Json)
                .orElseGet(() -> SiglipVisionConfig.fromIdefics3Json(new JsonObject(Map.of(), o.sourceName())));
        return Check.in(o, () -> new Idefics3Config(text, vision,
                o.intOr("scale_factor", 2),
                o.intOr("image_token_id", 128257),
                pad,
                o.booleanOr("tie_word_embeddings", false)));
    }
}
