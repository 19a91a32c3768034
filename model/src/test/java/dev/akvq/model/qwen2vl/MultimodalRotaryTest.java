package dev.akvq.model.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.akvq.model.llama.RopeFrequencies;
import dev.akvq.model.llama.RotaryPositions;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.Modality;
import dev.akvq.weights.config.ConfigFieldException;
import dev.akvq.weights.config.RopeScaling;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** M-RoPE tables: sections pick the right component; equal components are plain 1-D RoPE bit for bit. */
class MultimodalRotaryTest {

    static TextDecoderConfig config(int headDim, List<Integer> section) {
        RopeScaling mrope = new RopeScaling("default", 1.0, OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty(), section);
        return new TextDecoderConfig("qwen2_vl", 16, 2 * headDim, 8, 1, 2, 1, headDim, "silu", 4096, 1e-6, 1e6,
                Optional.of(mrope), true, false, false, Optional.empty(), true, OptionalInt.empty(), List.of(), OptionalInt.empty());
    }

    @Test
    void allThreeComponentsEqualReducesToPlainRope() {
        qt().forAll(integers().between(3, 40), integers().between(0, 5000), integers().between(1, 1 << 20)).checkAssert((half, start, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            int a = 1 + r.nextInt(half - 2), b = 1 + r.nextInt(half - a - 1);
            List<Integer> section = List.of(a, b, half - a - b);
            TextDecoderConfig c = config(2 * half, section);
            int n = 1 + r.nextInt(7);
            int[] p = new int[n];
            CachedToken[] tokens = new CachedToken[n];
            for (int t = 0; t < n; t++) {
                p[t] = start + r.nextInt(100);
                tokens[t] = new CachedToken(p[t], Modality.TEXT, false);
            }
            RotaryPositions m = new MultimodalRotary(c).tables(new MropePositions(p, p.clone(), p.clone(), 0));
            RotaryPositions plain = RotaryPositions.of(RopeFrequencies.of(c), tokens);
            assertArrayEquals(plain.cos(), m.cos());
            assertArrayEquals(plain.sin(), m.sin());
        });
    }

    @Test
    void eachSectionReadsItsComponentInBothHalvesOfTheHead() {
        TextDecoderConfig c = config(16, List.of(2, 3, 3));
        float[] inv = RopeFrequencies.of(c);
        RotaryPositions m = new MultimodalRotary(c).tables(new MropePositions(new int[] {7}, new int[] {11}, new int[] {13}, 0));
        int[] component = {7, 7, 11, 11, 11, 13, 13, 13};
        for (int j = 0; j < 8; j++) {
            float expected = (float) Math.cos((float) component[j] * inv[j]);
            assertEquals(expected, m.cos()[j], "cos[" + j + "]");
            assertEquals(expected, m.cos()[8 + j], "cos[" + (8 + j) + "]");
            assertEquals((float) Math.sin((float) component[j] * inv[j]), m.sin()[8 + j], "sin[" + (8 + j) + "]");
        }
    }

    @Test
    void sectionsThatAreNotTemporalHeightWidthAreAnError() {
        // The config already refuses sections that do not sum to head_dim / 2; two parts pass it.
        assertThrows(ConfigFieldException.class, () -> config(16, List.of(2, 3, 4)));
        var e = assertThrows(IllegalArgumentException.class, () -> new MultimodalRotary(config(16, List.of(4, 4))));
        assertEquals("config.json: rope_scaling.mrope_section [4, 4] must have 3 parts (temporal, height, width)"
                + " summing to head_dim / 2 = 8", e.getMessage());
    }
}
