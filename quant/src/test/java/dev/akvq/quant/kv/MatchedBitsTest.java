package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The matched-bits configuration: exact bits of known settings, each knob landing within the tolerance or refusing. */
class MatchedBitsTest {
    static final MatchedBits.Shape SHAPE = new MatchedBits.Shape(4, 2, 32, 16);

    static List<MatchedBits.Layout> layouts() {
        Modality[] a = new Modality[300], b = new Modality[180];
        Arrays.fill(a, Modality.VISION);
        Arrays.fill(b, Modality.TEXT);
        for (int t = 0; t < 20; t++) a[t] = Modality.TEXT;
        return List.of(new MatchedBits.Layout(a, 11), new MatchedBits.Layout(b, 5));
    }

    @Test
    void bitsAreTheStoresOwnAccounting() {
        assertEquals(2.75, MatchedBits.bits(KvCacheSettings.defaults(KvMode.RTN2), SHAPE, layouts()), 1e-12);
        assertEquals(4.75, MatchedBits.bits(KvCacheSettings.defaults(KvMode.RTN4), SHAPE, layouts()), 1e-12);
        // rtn2 with a 100-token window: 100 of each sequence's tokens at 16 bits.
        double tokens = 311 + 185, expected = ((tokens - 200) * 2.75 + 200 * 16) / tokens;
        assertEquals(expected, MatchedBits.bits(KvCacheSettings.defaults(KvMode.RTN2).withWindow(100), SHAPE, layouts()), 1e-12);
    }

    @Test
    void everyModeWithAKnobLandsWithinTheToleranceOrSaysWhyNot() {
        KvLayerTable table = KvLayerTable.of("test", List.of(LayerPattern.TSA, LayerPattern.PSA, LayerPattern.PSA, LayerPattern.PSA));
        for (double target : new double[] {3.0, 4.5, 6.0}) {
            for (KvMode mode : List.of(KvMode.RTN2, KvMode.KIVI2, KvMode.SINK, KvMode.AKVQ, KvMode.AKVQ_KC)) {
                KvCacheSettings base = KvCacheSettings.defaults(mode).withLayers(table);
                MatchedBits.Match m = MatchedBits.configure(base, target, SHAPE, layouts());
                if (m.settings().isPresent()) {
                    assertEquals(target, MatchedBits.bits(m.settings().get(), SHAPE, layouts()), MatchedBits.TOLERANCE, m.note());
                    assertEquals(m.bits(), MatchedBits.bits(m.settings().get(), SHAPE, layouts()), 1e-12, m.note());
                } else {
                    assertTrue(Math.abs(m.bits() - target) > MatchedBits.TOLERANCE && m.note().contains("cannot reach"), m.note());
                }
            }
        }
        assertTrue(MatchedBits.configure(KvCacheSettings.defaults(KvMode.RTN2), 3.0, SHAPE, layouts()).settings().isPresent(),
                "rtn2 reaches 3.0 with a window");
        MatchedBits.Match rtn4 = MatchedBits.configure(KvCacheSettings.defaults(KvMode.RTN4), 3.0, SHAPE, layouts());
        assertTrue(rtn4.settings().isEmpty() && rtn4.note().contains("nearest 4.75"), rtn4.note());
        assertTrue(MatchedBits.configure(KvCacheSettings.defaults(KvMode.FP16), 3.0, SHAPE, layouts()).settings().isEmpty());
    }
}
