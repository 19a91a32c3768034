package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting of a KV-cache mode (docs/akvq-vl.md, "Settings": each default is a setting here).
 *
 * @param mode             which store
 * @param window           recent tokens kept FP16 (AKVQ; default 128). KIVI's residual is fixed at 128 as in its paper
 * @param pivots           pivot tokens per PSA layer (default 15)
 * @param group            channels per quantization group (default 128; head_dim when smaller)
 * @param clip2            clip ratio of INT2 groups (AKVQ default 0.8; RTN-2 and KIVI-2 1.0, plain round-to-nearest)
 * @param clip4            clip ratio of INT4 groups (default 1.0)
 * @param pivotRule        {@link PivotRule#ENTRIES} (default) or {@link PivotRule#TOKENS}
 * @param prefillQuantized the prompt's own attention reads the quantized cache (default false: unquantized K/V)
 * @param rotation         Walsh-Hadamard rotation of keys (online) and values (folded into v_proj/o_proj at load);
 *                         default on for AKVQ, off for the baselines
 * @param layers           the TSA/PSA table (default {@link KvLayerTable#DEFAULT})
 */
public record KvCacheSettings(KvMode mode, int window, int pivots, int group, float clip2, float clip4,
                              PivotRule pivotRule, boolean prefillQuantized, boolean rotation, KvLayerTable layers) {
    /** KIVI's key and value group size and full-precision residual (KIVI paper's settings, docs/akvq-vl.md, "Baselines"). */
    public static final int KIVI_GROUP = 32, KIVI_RESIDUAL = 128;

    public KvCacheSettings {
        if (mode == null || pivotRule == null || layers == null) throw new IllegalArgumentException("KvCacheSettings: null field");
        if (window < 0) throw new IllegalArgumentException("--kv-window must be >= 0, got " + window);
        if (pivots < 0) throw new IllegalArgumentException("--kv-pivots must be >= 0, got " + pivots);
        if (group < 1) throw new IllegalArgumentException("--kv-group must be >= 1, got " + group);
        if (!(clip2 > 0 && clip2 <= 1)) throw new IllegalArgumentException("--kv-clip2 must be in (0, 1], got " + clip2);
        if (!(clip4 > 0 && clip4 <= 1)) throw new IllegalArgumentException("--kv-clip4 must be in (0, 1], got " + clip4);
    }

    /** The defaults of {@code mode}. */
    public static KvCacheSettings defaults(KvMode mode) {
        boolean akvq = mode == KvMode.AKVQ;
        return new KvCacheSettings(mode, 128, 15, 128, akvq ? 0.8f : 1.0f, 1.0f, PivotRule.ENTRIES, false, akvq,
                KvLayerTable.DEFAULT);
    }

    /**
     * The defaults of {@code mode} for the model in {@code modelDirectory}: akvq takes the layer
     * table the directory holds ({@link KvLayerTable#FILE_NAME}, written by calibration), else the default.
     */
    public static KvCacheSettings defaults(KvMode mode, java.nio.file.Path modelDirectory) {
        KvCacheSettings d = defaults(mode);
        return mode == KvMode.AKVQ ? d.withLayers(KvLayerTable.findNextTo(modelDirectory).orElse(KvLayerTable.DEFAULT)) : d;
    }

    public KvCacheSettings withWindow(int w) {
        return new KvCacheSettings(mode, w, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers);
    }

    public KvCacheSettings withPivots(int p) {
        return new KvCacheSettings(mode, window, p, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers);
    }

    public KvCacheSettings withRotation(boolean r) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, r, layers);
    }

    public KvCacheSettings withLayers(KvLayerTable table) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, table);
    }

    public KvCacheSettings withPrefillQuantized(boolean q) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, q, rotation, layers);
    }

    /** The group size for a head of {@code headDim}: {@code group}, or head_dim when smaller; it must divide head_dim. */
    public int groupFor(int headDim) {
        int g = Math.min(group, headDim);
        if (headDim % g != 0 || g % 4 != 0) {
            throw new IllegalArgumentException("--kv-group " + group + ": a group of " + g + " channels must divide head_dim "
                    + headDim + " and be a multiple of 4 (whole bytes of 2-bit codes)");
        }
        return g;
    }

    /**
     * One store per decoder layer for a new sequence; for akvq the layer table must cover every
     * layer (an error naming both counts otherwise).
     */
    public List<KeyValueStore> newCache(int layers, int kvHeads, int headDim) {
        if (mode == KvMode.AKVQ) this.layers.checkCovers(layers);
        List<KeyValueStore> cache = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) cache.add(newStore(l, kvHeads, headDim));
        return cache;
    }

    /** The store of decoder layer {@code layer}, rotated when {@link #rotation} is on. */
    public KeyValueStore newStore(int layer, int kvHeads, int headDim) {
        KeyValueStore store = switch (mode) {
            case FP32 -> new DenseKeyValueStore(DType.F32, kvHeads, headDim);
            case FP16 -> new DenseKeyValueStore(DType.F16, kvHeads, headDim);
            case RTN2 -> new MixedPrecisionKeyValueStore(kvHeads, headDim, groupFor(headDim), LayerPattern.PSA, 0, 0,
                    pivotRule, clip2, clip4, prefillQuantized);
            case KIVI2 -> new KiviKeyValueStore(kvHeads, headDim, Math.min(KIVI_GROUP, headDim), KIVI_RESIDUAL, clip2, prefillQuantized);
            case AKVQ -> new MixedPrecisionKeyValueStore(kvHeads, headDim, groupFor(headDim), layers.pattern(layer), window,
                    pivots, pivotRule, clip2, clip4, prefillQuantized);
        };
        return rotation ? new RotatedKeyValueStore(store) : store;
    }

    /** One line for logs: the mode and every setting that applies to it. */
    public String describe() {
        String rot = " rotation " + (rotation ? "on" : "off");
        return switch (mode) {
            case FP32, FP16 -> mode.flag() + rot;
            case RTN2 -> "rtn2 (INT2 per token, group " + group + ", clip " + clip2 + ")" + rot;
            case KIVI2 -> "kivi2 (keys per channel x32 tokens, values per token x32, residual 128, clip " + clip2 + ")" + rot;
            case AKVQ -> "akvq (window " + window + ", pivots " + pivots + " by " + pivotRule.flag() + ", group " + group
                    + ", clip2 " + clip2 + ", clip4 " + clip4 + ", layers " + layers.name()
                    + (prefillQuantized ? ", prefill over the quantized cache" : "") + ")" + rot;
        };
    }
}
