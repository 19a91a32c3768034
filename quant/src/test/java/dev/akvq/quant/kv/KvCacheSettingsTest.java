package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The settings record: the spec's defaults, the store each mode builds, validation naming the flag. */
class KvCacheSettingsTest {

    @Test
    void defaultsAreTheSpecs() {
        KvCacheSettings akvq = KvCacheSettings.defaults(KvMode.AKVQ);
        assertEquals(128, akvq.window());
        assertEquals(15, akvq.pivots());
        assertEquals(128, akvq.group());
        assertEquals(0.8f, akvq.clip2());
        assertEquals(1.0f, akvq.clip4());
        assertEquals(PivotRule.ENTRIES, akvq.pivotRule());
        assertFalse(akvq.prefillQuantized());
        assertTrue(akvq.rotation());
        assertEquals(KvLayerTable.LLAVA_15, akvq.layers());
        assertFalse(KvCacheSettings.defaults(KvMode.RTN2).rotation());
        assertEquals(1.0f, KvCacheSettings.defaults(KvMode.RTN2).clip2());
        assertEquals(64, akvq.groupFor(64), "head_dim when smaller");
        // akvq-kc: akvq's defaults (one change: the key quantizer), keys in blocks of KIVI's 32 tokens.
        KvCacheSettings kc = KvCacheSettings.defaults(KvMode.AKVQ_KC);
        assertEquals(akvq, new KvCacheSettings(KvMode.AKVQ, kc.window(), kc.pivots(), kc.group(), kc.clip2(), kc.clip4(), kc.pivotRule(),
                kc.prefillQuantized(), kc.rotation(), kc.layers(), kc.residual(), kc.sink(), kc.smoothAlpha(), kc.channels(), kc.keyBlock()));
        assertEquals(32, kc.keyBlock());
        assertEquals(KvMode.AKVQ_KC, KvMode.parse("akvq-kc"));
        assertEquals("akvq-kc", KvMode.AKVQ_KC.flag());
        assertTrue(KvMode.AKVQ_KC.readsLayerTable() && !KvMode.KIVI2.readsLayerTable());
    }

    @Test
    void eachModeBuildsItsStore() {
        assertInstanceOf(DenseKeyValueStore.class, KvCacheSettings.defaults(KvMode.FP16).newStore(0, 2, 16));
        assertInstanceOf(MixedPrecisionKeyValueStore.class, KvCacheSettings.defaults(KvMode.RTN2).newStore(0, 2, 16));
        assertInstanceOf(KiviKeyValueStore.class, KvCacheSettings.defaults(KvMode.KIVI2).newStore(0, 2, 16));
        KeyValueStore akvq = KvCacheSettings.defaults(KvMode.AKVQ).newStore(3, 2, 16);
        assertInstanceOf(MixedPrecisionKeyValueStore.class, assertInstanceOf(RotatedKeyValueStore.class, akvq).inner());
        assertInstanceOf(RotatedKeyValueStore.class, KvCacheSettings.defaults(KvMode.FP32).withRotation(true).newStore(0, 1, 8));
        assertInstanceOf(MixedPrecisionKeyValueStore.class, KvCacheSettings.defaults(KvMode.AKVQ).newStore(0, 2, 16) instanceof RotatedKeyValueStore r ? r.inner() : null);
        KeyValueStore kc = KvCacheSettings.defaults(KvMode.AKVQ_KC).withRotation(false).newStore(0, 2, 16);
        assertTrue(assertInstanceOf(MixedPrecisionKeyValueStore.class, kc).footprint().segments().size() == 4, "int2, int4, pivots, window");
    }

    @Test
    void invalidSettingsNameTheirFlag() {
        KvCacheSettings d = KvCacheSettings.defaults(KvMode.AKVQ);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KvCacheSettings(KvMode.AKVQ, -1, 15, 128, 0.8f, 1f, PivotRule.ENTRIES, false, true, KvLayerTable.DEFAULT));
        assertTrue(e.getMessage().contains("--kv-window"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new KvCacheSettings(KvMode.AKVQ, 8, 15, 128, 1.5f, 1f, PivotRule.ENTRIES, false, true, KvLayerTable.DEFAULT));
        assertTrue(e.getMessage().contains("--kv-clip2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new KvCacheSettings(KvMode.AKVQ, 8, 15, 12, 0.8f, 1f, PivotRule.ENTRIES, false, false, KvLayerTable.DEFAULT)
                        .newStore(0, 1, 16));
        assertTrue(e.getMessage().contains("--kv-group 12"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KvCacheSettings.defaults(KvMode.AKVQ_KC).withKeyBlock(0));
        assertTrue(e.getMessage().contains("--kv-key-block"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> d.newStore(0, 1, 24));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        assertEquals(PivotRule.TOKENS, PivotRule.parse("tokens"));
        assertThrows(IllegalArgumentException.class, () -> PivotRule.parse("heads"));
    }
}
