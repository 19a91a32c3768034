package dev.akvq.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.akvq.weights.config.RopeScaling;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Inverse frequencies per rope_scaling type. The llama3 values are Llama-3.2-1B's settings
 * (head_dim 64, theta 500000, factor 32, low 1, high 4, original context 8192) evaluated with
 * transformers 4.47.1's _compute_llama3_parameters formula step by step in float32 numpy.
 */
class RopeFrequenciesTest {
    static final double[] LLAMA3 = {1.000000000e+00, 6.636012197e-01, 4.403666258e-01, 2.922278047e-01, 1.939227581e-01,
            1.286873817e-01, 8.539710194e-02, 5.666961893e-02, 3.760603070e-02, 2.495540865e-02, 1.656044088e-02,
            1.098952908e-02, 7.292665076e-03, 4.839421250e-03, 3.211446106e-03, 1.290548011e-03, 4.295567051e-04,
            9.708286234e-05, 1.946163866e-05, 1.291476838e-05, 8.570255886e-06, 5.687231805e-06, 3.774054449e-06,
            2.504466920e-06, 1.661967644e-06, 1.102883630e-06, 7.318749340e-07, 4.856731266e-07, 3.222932889e-07,
            2.138742303e-07, 1.419272024e-07, 9.418307201e-08};

    static TextDecoderConfig config(double theta, Optional<RopeScaling> scaling) {
        return new TextDecoderConfig("llama", 100, 128, 64, 1, 2, 2, 64, "silu", 8192, 1e-5, theta, scaling,
                false, false, false, Optional.empty(), false, OptionalInt.empty(), List.of(), OptionalInt.empty());
    }

    @Test
    void llama3ScalingMatchesTheReferenceFormula() {
        RopeScaling s = new RopeScaling("llama3", 32, OptionalDouble.of(1), OptionalDouble.of(4), OptionalInt.of(8192), List.of());
        float[] inv = RopeFrequencies.of(config(500000, Optional.of(s)));
        assertEquals(LLAMA3.length, inv.length);
        for (int j = 0; j < inv.length; j++) assertEquals(LLAMA3[j], inv[j], 2e-6 * LLAMA3[j], "inv_freq[" + j + "]");
    }

    @Test
    void linearScalingDividesEveryFrequencyByTheFactor() {
        float[] plain = RopeFrequencies.of(config(10000, Optional.empty()));
        RopeScaling s = new RopeScaling("linear", 4, OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty(), List.of());
        float[] linear = RopeFrequencies.of(config(10000, Optional.of(s)));
        for (int j = 0; j < plain.length; j++) assertEquals(plain[j] / 4f, linear[j], "inv_freq[" + j + "]");
        assertEquals(1f, plain[0]);
        assertEquals(Math.pow(10000, -62.0 / 64), plain[31], 1e-7 * plain[31]);
    }

    @Test
    void dynamicScalingIsRefusedClearly() {
        RopeScaling s = new RopeScaling("dynamic", 2, OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RopeFrequencies.of(config(10000, Optional.of(s))));
        assertEquals("config.json: " + RopeScaling.DYNAMIC_REFUSED, e.getMessage());
    }
}
