package dev.akvq.model.qwen2vl;

import dev.akvq.model.llama.RopeFrequencies;
import dev.akvq.model.llama.RotaryPositions;
import dev.akvq.tensor.RotaryTables;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;

/**
 * The rotary tables of Qwen2-VL's M-RoPE (transformers 4.47.1, modeling_qwen2_vl.py at 241c04d3:
 * Qwen2VLRotaryEmbedding and apply_multimodal_rotary_pos_emb). Each of the three position
 * components gets the ordinary tables {@code cat(p · inv_freq, p · inv_freq)}; the head's
 * dimensions are then split by {@code mrope_section · 2} (e.g. [2, 3, 3, 2, 3, 3] for head_dim 16)
 * and chunk {@code i} takes component {@code i mod 3}: dimension {@code j} and {@code j + d/2} both
 * read the component whose section holds {@code j}. The rotation itself is plain rotate_half.
 * With all three components equal this is 1-D RoPE exactly.
 */
public final class MultimodalRotary {
    private final float[] inverseFrequencies;
    /** For each of the head_dim / 2 frequencies, which component (0 temporal, 1 height, 2 width) it reads. */
    private final int[] component;

    public MultimodalRotary(TextDecoderConfig config) {
        List<Integer> section = config.ropeScaling().filter(s -> s.isMrope())
                .orElseThrow(() -> new IllegalArgumentException("config.json: rope_scaling needs an mrope_section for M-RoPE"))
                .mropeSection();
        int half = config.headDim() / 2, sum = 0;
        for (int s : section) sum += s;
        if (section.size() != 3 || sum != half) {
            throw new IllegalArgumentException("config.json: rope_scaling.mrope_section " + section + " must have 3 parts"
                    + " (temporal, height, width) summing to head_dim / 2 = " + half);
        }
        this.inverseFrequencies = RopeFrequencies.of(config);
        this.component = new int[half];
        for (int j = 0, c = 0, end = section.get(0); j < half; j++) {
            while (j >= end) end += section.get(++c);
            component[j] = c;
        }
    }

    /** The tables of every token of {@code positions}: {@code [tokens, headDim]}. */
    public RotaryPositions tables(MropePositions positions) {
        int half = inverseFrequencies.length, headDim = 2 * half, n = positions.length();
        int[][] byComponent = {positions.temporal(), positions.height(), positions.width()};
        float[] cos = new float[n * headDim], sin = new float[n * headDim];
        float[] angles = new float[half];
        for (int t = 0; t < n; t++) {
            // Frequency j turns with the position component its mrope_section assigns it (temporal, height or width).
            for (int j = 0; j < half; j++) angles[j] = (float) byComponent[component[j]][t] * inverseFrequencies[j];
            RotaryTables.expand(angles, 0, half, cos, sin, t * headDim);
        }
        return new RotaryPositions(cos, sin, headDim);
    }
}
