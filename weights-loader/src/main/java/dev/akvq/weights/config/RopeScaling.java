package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A {@code rope_scaling} block (transformers v4.47.1, modeling_rope_utils.py at 241c04d3:
 * ROPE_INIT_FUNCTIONS and rope_config_validation).
 *
 * <ul>
 *   <li>{@code ropeType}: default, linear, dynamic or llama3 (yarn and longrope are not
 *       implemented, so they are rejected here rather than mis-computed later).</li>
 *   <li>{@code factor}: required for linear, dynamic and llama3; 1.0 for default.</li>
 *   <li>llama3 also requires {@code low_freq_factor}, {@code high_freq_factor} and
 *       {@code original_max_position_embeddings}; dynamic may give the last.</li>
 *   <li>{@code mropeSection}: Qwen2-VL's M-RoPE split of the rotary half-dimension into
 *       temporal, height and width parts; empty for 1-D RoPE. Published Qwen2-VL files say
 *       {@code "type": "mrope"}, files written by 4.47 say {@code "type": "default"} with the
 *       section: configuration_qwen2_vl.py maps "mrope" to "default", and so do we.</li>
 * </ul>
 * When both {@code type} and {@code rope_type} are present, {@code type} wins, as in
 * transformers (it copies {@code type} over {@code rope_type} for backward compatibility).
 */
public record RopeScaling(String ropeType, double factor, OptionalDouble lowFreqFactor, OptionalDouble highFreqFactor,
        OptionalInt originalMaxPositionEmbeddings, List<Integer> mropeSection) {

    public static final List<String> SUPPORTED_TYPES = List.of("default", "linear", "dynamic", "llama3");

    /**
     * The one description of why "dynamic" is read here but refused at load, for every message
     * that mentions it: the frequencies would change with the sequence length at run time.
     */
    public static final String DYNAMIC_REFUSED = "rope_scaling type \"dynamic\" (dynamic NTK: RoPE rescaled with the sequence"
            + " length at run time) is not supported; supported: default, linear, llama3";

    public RopeScaling {
        Objects.requireNonNull(ropeType, "ropeType");
        Objects.requireNonNull(lowFreqFactor, "lowFreqFactor");
        Objects.requireNonNull(highFreqFactor, "highFreqFactor");
        Objects.requireNonNull(originalMaxPositionEmbeddings, "originalMaxPositionEmbeddings");
        mropeSection = List.copyOf(mropeSection);
        if (!SUPPORTED_TYPES.contains(ropeType)) {
            throw new ConfigFieldException("rope_type", "unsupported RoPE type \"" + ropeType + "\"; supported: default, linear,"
                    + " llama3 (and \"mrope\", read as \"default\")");
        }
        Check.positiveFinite("factor", factor);
        if (ropeType.equals("llama3")) {
            if (lowFreqFactor.isEmpty()) throw new ConfigFieldException("low_freq_factor", "is required for llama3 RoPE");
            if (highFreqFactor.isEmpty()) {
                throw new ConfigFieldException("high_freq_factor", "is required for llama3 RoPE");
            }
            if (originalMaxPositionEmbeddings.isEmpty()) {
                throw new ConfigFieldException("original_max_position_embeddings", "is required for llama3 RoPE");
            }
            Check.positiveFinite("low_freq_factor", lowFreqFactor.getAsDouble());
            Check.positiveFinite("high_freq_factor", highFreqFactor.getAsDouble());
            if (highFreqFactor.getAsDouble() <= lowFreqFactor.getAsDouble()) {
                throw new ConfigFieldException("high_freq_factor", "= " + highFreqFactor.getAsDouble()
                        + " must exceed low_freq_factor = " + lowFreqFactor.getAsDouble());
            }
        }
        if (originalMaxPositionEmbeddings.isPresent()) {
            Check.positive("original_max_position_embeddings", originalMaxPositionEmbeddings.getAsInt());
        }
        for (int s : mropeSection) {
            if (s <= 0) throw new ConfigFieldException("mrope_section", "parts must be positive, found " + mropeSection);
        }
    }

    /** True for Qwen2-VL's multimodal RoPE. */
    public boolean isMrope() {
        return !mropeSection.isEmpty();
    }

    /** Reads a {@code rope_scaling} object; errors name the file and {@code rope_scaling.<field>}. */
    public static RopeScaling fromJson(JsonObject o) {
        String type = o.optString("type").or(() -> o.optString("rope_type")).orElseThrow(() -> o.fieldError("rope_type",
                "is missing; rope_scaling needs \"rope_type\" (or the older \"type\")"));
        String field = o.has("type") ? "type" : "rope_type";
        boolean mrope = type.equals("mrope");
        String ropeType = mrope ? "default" : type;
        List<Integer> section = o.optIntList("mrope_section").orElse(List.of());
        if (mrope && section.isEmpty()) {
            throw o.fieldError("mrope_section", "is required when " + field + " is \"mrope\"");
        }
        boolean needsFactor = !ropeType.equals("default");
        if (needsFactor && o.optDouble("factor").isEmpty()) {
            throw o.fieldError("factor", "is required for " + ropeType + " RoPE");
        }
        double factor = o.doubleOr("factor", 1.0);
        OptionalDouble low = o.optDouble("low_freq_factor").map(OptionalDouble::of).orElse(OptionalDouble.empty());
        OptionalDouble high = o.optDouble("high_freq_factor").map(OptionalDouble::of).orElse(OptionalDouble.empty());
        OptionalInt original = o.optInt("original_max_position_embeddings").map(OptionalInt::of)
                .orElse(OptionalInt.empty());
        try {
            return new RopeScaling(ropeType, factor, low, high, original, section);
        } catch (ConfigFieldException e) {
            throw o.fieldError(e.field().equals("rope_type") ? field : e.field(), e.problem());
        }
    }
}
