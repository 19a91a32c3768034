package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import java.util.Arrays;
import java.util.Locale;

/** The cache modes of {@code --kv}: the baselines and AKVQ-VL, all behind {@link KeyValueStore}. */
public enum KvMode {
    FP32, FP16, RTN2, KIVI2, AKVQ;

    /** Parses a {@code --kv} value; an unknown one is an error listing the modes. */
    public static KvMode parse(String text) {
        for (KvMode m : values()) {
            if (m.name().equalsIgnoreCase(text)) return m;
        }
        throw new IllegalArgumentException("unknown KV mode \"" + text + "\"; expected one of "
                + Arrays.stream(values()).map(KvMode::flag).toList());
    }

    /** The mode as {@code --kv} spells it. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * A store for one layer of one sequence with this mode's default settings, as layer 0 of the
     * default table; prefer {@link KvCacheSettings#newStore}, which knows the layer.
     */
    public KeyValueStore newStore(int kvHeads, int headDim) {
        return switch (this) {
            case FP32 -> new DenseKeyValueStore(DType.F32, kvHeads, headDim);
            case FP16 -> new DenseKeyValueStore(DType.F16, kvHeads, headDim);
            case RTN2, KIVI2, AKVQ -> KvCacheSettings.defaults(this).newStore(0, kvHeads, headDim);
        };
    }
}
