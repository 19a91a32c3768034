package dev.akvq.model.llama;

import dev.akvq.tensor.RotaryTables;
import dev.akvq.weights.config.RopeScaling;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.Optional;

/**
 * The rotary inverse frequencies of a Llama-family decoder, per {@code rope_scaling} type, as
 * transformers 4.47.1's modeling_rope_utils.py computes them in float32 (attention scaling is 1
 * for these types). "dynamic" rescales with the sequence length at run time and is refused here.
 */
public final class RopeFrequencies {
    private RopeFrequencies() {}

    public static float[] of(TextDecoderConfig c) {
        float[] inv = RotaryTables.defaultInverseFrequencies(c.headDim(), c.ropeTheta());
        Optional<RopeScaling> scaling = c.ropeScaling();
        if (scaling.isEmpty() || scaling.get().isMrope()) return inv;
        RopeScaling s = scaling.get();
        return switch (s.ropeType()) {
            case "default" -> inv;
            // _compute_linear_scaling_rope_parameters: inv_freq /= factor
            case "linear" -> {
                for (int j = 0; j < inv.length; j++) inv[j] = inv[j] / (float) s.factor();
                yield inv;
            }
            case "llama3" -> llama3(inv, s, c);
            case "dynamic" -> throw new IllegalArgumentException("config.json: " + RopeScaling.DYNAMIC_REFUSED);
            default -> throw new IllegalArgumentException("config.json: rope_scaling type \"" + s.ropeType()
                    + "\" is not supported; supported: default, linear, llama3");
        };
    }

    /**
     * _compute_llama3_parameters: wavelengths longer than {@code old_context / low_freq_factor}
     * are divided by {@code factor}, shorter than {@code old_context / high_freq_factor} kept, and
     * those between blended linearly in {@code old_context / wavelen}.
     */
    private static float[] llama3(float[] inv, RopeScaling s, TextDecoderConfig c) {
        double factor = s.factor();
        double low = s.lowFreqFactor().orElseThrow(() -> missing("low_freq_factor"));
        double high = s.highFreqFactor().orElseThrow(() -> missing("high_freq_factor"));
        double oldContext = s.originalMaxPositionEmbeddings().orElseThrow(() -> missing("original_max_position_embeddings"));
        double lowWavelen = oldContext / low, highWavelen = oldContext / high;
        float[] out = new float[inv.length];
        for (int j = 0; j < inv.length; j++) {
            float wavelen = (float) (2 * Math.PI / inv[j]);
            float scaled = wavelen > lowWavelen ? (float) (inv[j] / factor) : inv[j];
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium) {
                float smooth = (float) ((oldContext / wavelen - low) / (high - low));
                scaled = (float) ((1 - smooth) * scaled / factor + smooth * scaled);
            }
            out[j] = scaled;
        }
        return out;
    }

    private static IllegalArgumentException missing(String field) {
        return new IllegalArgumentException("config.json: rope_scaling of type llama3 needs \"" + field + "\"");
    }
}
