package dev.akvq.weights.config;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model directory's config.json, as the record of its architecture. {@link #load} dispatches
 * on {@code model_type}, or, when that is absent, on the first of {@code architectures}.
 */
public sealed interface ModelConfig permits TextDecoderConfig, LlavaConfig, Idefics3Config, Qwen2VLConfig {

    /** The model_type config.json names (llama, mistral, qwen2, llava, idefics3, qwen2_vl). */
    String modelType();

    /** The language model: the whole model for text-only types. */
    TextDecoderConfig textConfig();

    /** model_type values {@link #load} accepts. */
    List<String> SUPPORTED_TYPES = List.of("llama", "mistral", "qwen2", "llava", "idefics3", "qwen2_vl");

    /** Architecture class names, for a config.json without model_type. */
    Map<String, String> ARCHITECTURE_TYPES = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "mistral",
            "Qwen2ForCausalLM", "qwen2",
            "LlavaForConditionalGeneration", "llava",
            "Idefics3ForConditionalGeneration", "idefics3",
            "Qwen2VLForConditionalGeneration", "qwen2_vl");

    /**
     * Reads {@code dir/config.json}.
     *
     * @throws dev.akvq.weights.WeightsFormatException naming config.json and the field
     */
    static ModelConfig load(Path dir) {
        return fromJson(Json.readObjectFile(dir.resolve("config.json")));
    }

    /** Builds the config from a parsed config.json object. */
    static ModelConfig fromJson(JsonObject root) {
        Optional<String> type = root.optString("model_type");
        String modelType;
        if (type.isPresent()) {
            modelType = type.get();
        } else {
            List<String> archs = root.optArray("architectures").isPresent()
                    ? root.requireArray("architectures").elements().stream()
                            .map(v -> v instanceof dev.akvq.weights.json.JsonString s ? s.value() : v.describe())
                            .toList()
                    : List.of();
            if (archs.isEmpty()) {
                throw new dev.akvq.weights.WeightsFormatException(root.sourceName() + ": field \"model_type\" is"
                        + " missing, and there is no \"architectures\" list to infer it from; expected one of "
                        + SUPPORTED_TYPES);
            }
            modelType = ARCHITECTURE_TYPES.get(archs.get(0));
            if (modelType == null) {
                throw root.fieldError("architectures", "unsupported architecture \"" + archs.get(0)
                        + "\" (and no model_type); supported: " + ARCHITECTURE_TYPES.keySet().stream().sorted().toList());
            }
        }
        return switch (modelType) {
            case "llama", "mistral", "qwen2" -> TextDecoderConfig.fromJson(root, modelType);
            case "llava" -> LlavaConfig.fromJson(root);
            case "idefics3" -> Idefics3Config.fromJson(root);
            case "qwen2_vl" -> Qwen2VLConfig.fromJson(root);
            default -> throw root.fieldError("model_type", "unsupported model type \"" + modelType + "\"; supported: "
                    + SUPPORTED_TYPES);
        };
    }
}
