package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting of a KV-cache mode (docs/akvq-vl.md, "Settings": each default is a setting here), and
 * every cost knob of the baselines, so modes can be compared at equal bits.
 *
 * @param mode             which store
 * @param window           recent tokens kept FP16 (akvq 128, sink and skvq 128, rtn2/rtn4/smoothquant 0)
 * @param pivots           pivot tokens per PSA layer (default 15)
 * @param group            channels per quantization group (default 128; head_dim when smaller); for kivi the group
 *                         size of both keys (tokens per channel block) and values (channels), default 32
 * @param clip2            clip ratio of INT2 groups (akvq 0.8, skvq 0.9; 1.0 elsewhere: plain round-to-nearest)
 * @param clip4            clip ratio of INT4 groups (default 1.0)
 * @param pivotRule        {@link PivotRule#ENTRIES} (default) or {@link PivotRule#TOKENS}
 * @param prefillQuantized the prompt's own attention reads the quantized cache (default false: unquantized K/V)
 * @param rotation         Walsh-Hadamard rotation of keys and values, online in the store
 *                         ({@link RotatedKeyValueStore});
 *                         default on for AKVQ, off for the baselines
 * @param layers           the TSA/PSA table (default {@link KvLayerTable#DEFAULT})
 * @param residual         kivi: the FP16 residual length R, a multiple of the group (default 128)
 * @param sink             sink and skvq: the first tokens kept FP16 for good (default 4)
 * @param smoothAlpha      smoothquant: the migration strength alpha (default 0.5)
 * @param channels         smoothquant and skvq: the model's KV channel calibration
 * @param keyBlock         akvq-kc: tokens per key block, each channel quantized over a block of one segment's tokens
 *                         (default 32, KIVI's group along tokens)
 */
public record KvCacheSettings(KvMode mode, int window, int pivots, int group, float clip2, float clip4,
                              PivotRule pivotRule, boolean prefillQuantized, boolean rotation, KvLayerTable layers,
                              int residual, int sink, float smoothAlpha, Optional<KvChannelStatistics> channels, int keyBlock) {
    /** KIVI's group size and full-precision residual (KIVI paper's settings, docs/akvq-vl.md, "Baselines"). */
    public static final int KIVI_GROUP = 32, KIVI_RESIDUAL = 128;
    public static final int SINK_TOKENS = 4;

    public KvCacheSettings {
        if (mode == null || pivotRule == null || layers == null || channels == null) {
            throw new IllegalArgumentException("KvCacheSettings: null field");
        }
        if (window < 0) throw new IllegalArgumentException("--kv-window must be >= 0, got " + window);
        if (pivots < 0) throw new IllegalArgumentException("--kv-pivots must be >= 0, got " + pivots);
        if (group < 1) throw new IllegalArgumentException("--kv-group must be >= 1, got " + group);
        if (!(clip2 > 0 && clip2 <= 1)) throw new IllegalArgumentException("--kv-clip2 must be in (0, 1], got " + clip2);
        if (!(clip4 > 0 && clip4 <= 1)) throw new IllegalArgumentException("--kv-clip4 must be in (0, 1], got " + clip4);
        if (residual < 1) throw new IllegalArgumentException("--kv-residual must be >= 1, got " + residual);
        if (sink < 0) throw new IllegalArgumentException("--kv-sink must be >= 0, got " + sink);
        if (!(smoothAlpha >= 0 && smoothAlpha <= 1)) throw new IllegalArgumentException("--kv-smooth-alpha must be in [0, 1], got " + smoothAlpha);
        if (keyBlock < 1) throw new IllegalArgumentException("--kv-key-block must be >= 1, got " + keyBlock);
        if ((mode == KvMode.KIVI2 || mode == KvMode.KIVI4) && residual % group != 0) {
            throw new IllegalArgumentException("--kv-residual " + residual + " must be a multiple of --kv-group " + group
                    + " (kivi quantizes the residual's keys a block of group tokens at a time)");
        }
    }

    /** The settings of the first ten fields with the other knobs at their defaults. */
    public KvCacheSettings(KvMode mode, int window, int pivots, int group, float clip2, float clip4,
                           PivotRule pivotRule, boolean prefillQuantized, boolean rotation, KvLayerTable layers) {
        this(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, KIVI_RESIDUAL, SINK_TOKENS,
                0.5f, Optional.empty(), KIVI_GROUP);
    }

    /** The defaults of {@code mode}; akvq-kc takes akvq's, with keys in blocks of {@value #KIVI_GROUP} tokens. */
    public static KvCacheSettings defaults(KvMode mode) {
        boolean akvq = mode.readsLayerTable();
        int window = switch (mode) {
            case RTN2, RTN4, SMOOTHQUANT -> 0;
            default -> 128;
        };
        int group = mode == KvMode.KIVI2 || mode == KvMode.KIVI4 ? KIVI_GROUP : 128;
        float clip2 = akvq ? 0.8f : mode == KvMode.SKVQ ? 0.9f : 1.0f;
        return new KvCacheSettings(mode, window, 15, group, clip2, 1.0f, PivotRule.ENTRIES, false, akvq, KvLayerTable.DEFAULT,
                KIVI_RESIDUAL, SINK_TOKENS, 0.5f, Optional.empty(), KIVI_GROUP);
    }

    /**
     * The defaults of {@code mode} for the model in {@code modelDirectory}: akvq takes the layer
     * table the directory holds ({@link KvLayerTable#FILE_NAME}, written by calibration), else the default;
     * smoothquant and skvq its KV channel calibration ({@link KvChannelStatistics#FILE_NAME}) if present.
     */
    public static KvCacheSettings defaults(KvMode mode, java.nio.file.Path modelDirectory) {
        KvCacheSettings d = defaults(mode);
        if (mode.needsChannelCalibration()) d = KvChannelStatistics.findNextTo(modelDirectory).map(d::withChannels).orElse(d);
        return mode.readsLayerTable() ? d.withLayers(KvLayerTable.findNextTo(modelDirectory).orElse(KvLayerTable.DEFAULT)) : d;
    }

    public KvCacheSettings withWindow(int w) {
        return new KvCacheSettings(mode, w, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, residual, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withPivots(int p) {
        return new KvCacheSettings(mode, window, p, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, residual, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withGroup(int g) {
        return new KvCacheSettings(mode, window, pivots, g, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, residual, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withResidual(int r) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, r, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withRotation(boolean r) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, r, layers, residual, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withLayers(KvLayerTable table) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, table, residual,
                sink, smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withPrefillQuantized(boolean q) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, q, rotation, layers, residual, sink,
                smoothAlpha, channels, keyBlock);
    }

    public KvCacheSettings withChannels(KvChannelStatistics statistics) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, residual,
                sink, smoothAlpha, Optional.of(statistics), keyBlock);
    }

    public KvCacheSettings withKeyBlock(int b) {
        return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, pivotRule, prefillQuantized, rotation, layers, residual, sink,
                smoothAlpha, channels, b);
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
     * layer, for smoothquant and skvq the channel calibration must match the model (errors name both).
     */
    public List<KeyValueStore> newCache(int layers, int kvHeads, int headDim) {
        if (mode.readsLayerTable()) this.layers.checkCovers(layers);
        if (mode.needsChannelCalibration()) calibration().checkShape(layers, kvHeads, headDim);
        List<KeyValueStore> cache = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) cache.add(newStore(l, kvHeads, headDim));
        return cache;
    }

    private KvChannelStatistics calibration() {
        return channels.orElseThrow(() -> new IllegalArgumentException("--kv " + mode.flag() + " needs the model's KV channel"
                + " calibration (" + KvChannelStatistics.FILE_NAME + "). HINT: run akvq calibrate --model DIR --set FILE --save,"
                + " or give --kv-channels FILE"));
    }

    /** The store of decoder layer {@code layer}, rotated when {@link #rotation} is on. */
    public KeyValueStore newStore(int layer, int kvHeads, int headDim) {
        KeyValueStore store = switch (mode) {
            case FP32 -> new DenseKeyValueStore(DType.F32, kvHeads, headDim);
            case FP16 -> new DenseKeyValueStore(DType.F16, kvHeads, headDim);
            case RTN2 -> new MixedPrecisionKeyValueStore(kvHeads, headDim, groupFor(headDim), LayerPattern.PSA, window, 0,
                    pivotRule, clip2, clip4, prefillQuantized);
            case RTN4 -> MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, 4, groupFor(headDim), clip4, 0, window, prefillQuantized);
            case KIVI2, KIVI4 -> new KiviKeyValueStore(kvHeads, headDim, mode == KvMode.KIVI2 ? 2 : 4, group, residual, prefillQuantized);
            case SINK -> MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, 2, groupFor(headDim), clip2, sink, window, prefillQuantized);
            case SMOOTHQUANT -> new ChannelMappedKeyValueStore(
                    MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, 2, groupFor(headDim), clip2, 0, window, prefillQuantized),
                    calibration().smoothingDivisors(layer, smoothAlpha), ChannelMappedKeyValueStore.identityOrder(kvHeads, headDim),
                    ChannelMappedKeyValueStore.identityOrder(kvHeads, headDim));
            case SKVQ -> new ChannelMappedKeyValueStore(
                    MixedPrecisionKeyValueStore.perToken(kvHeads, headDim, 2, groupFor(headDim), clip2, sink, window, prefillQuantized),
                    ones(kvHeads * headDim), calibration().channelOrder(layer, true), calibration().channelOrder(layer, false));
            case AKVQ -> new MixedPrecisionKeyValueStore(kvHeads, headDim, groupFor(headDim), layers.pattern(layer), window,
                    pivots, pivotRule, clip2, clip4, prefillQuantized);
            case AKVQ_KC -> MixedPrecisionKeyValueStore.channelKeys(kvHeads, headDim, groupFor(headDim), keyBlock, layers.pattern(layer),
                    window, pivots, pivotRule, clip2, clip4, prefillQuantized);
        };
        return rotation ? new RotatedKeyValueStore(store) : store;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** One line for logs: the mode and every setting that applies to it. */
    public String describe() {
        String rot = " rotation " + (rotation ? "on" : "off");
        String prefill = prefillQuantized ? ", prefill over the quantized cache" : "";
        String w = window > 0 ? ", window " + window : "";
        return switch (mode) {
            case FP32, FP16 -> mode.flag() + rot;
            case RTN2 -> "rtn2 (INT2 per token, group " + group + ", clip " + clip2 + w + prefill + ")" + rot;
            case RTN4 -> "rtn4 (INT4 per token, group " + group + ", clip " + clip4 + w + prefill + ")" + rot;
            case KIVI2, KIVI4 -> mode.flag() + " (keys per channel x" + group + " tokens, values per token x" + group + ", residual "
                    + residual + ", FP16 min and scale" + prefill + ")" + rot;
            case SINK -> "sink (first " + sink + " tokens and window " + window + " FP16, INT2 per token, group " + group + ", clip "
                    + clip2 + prefill + ")" + rot;
            case SMOOTHQUANT -> String.format(Locale.ROOT, "smoothquant (keys / max|K|^%.2f·max|Q|^-%.2f per channel, INT2 per token,"
                    + " group %d, clip %s%s%s)%s", smoothAlpha, 1 - smoothAlpha, group, clip2, w, prefill, rot);
            case SKVQ -> "skvq (channels reordered by range, INT2 per token, group " + group + ", clip " + clip2 + ", first " + sink
                    + " tokens and window " + window + " FP16" + prefill + ")" + rot;
            case AKVQ -> "akvq (window " + window + ", pivots " + pivots + " by " + pivotRule.flag() + ", group " + group
                    + ", clip2 " + clip2 + ", clip4 " + clip4 + ", layers " + layers.name() + prefill + ")" + rot;
            case AKVQ_KC -> "akvq-kc (keys per channel x" + keyBlock + " tokens, values per token x" + group + ", window " + window
                    + ", pivots " + pivots + " by " + pivotRule.flag() + ", clip2 " + clip2 + ", clip4 " + clip4 + " on values, layers "
                    + layers.name() + prefill + ")" + rot;
        };
    }
}
