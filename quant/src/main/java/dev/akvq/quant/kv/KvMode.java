package dev.akvq.quant.kv;

import java.util.Arrays;
import java.util.Locale;

/**
 * The cache modes of {@code --kv}: the baselines and AKVQ-VL, all behind {@link KeyValueStore}
 * ({@link KvCacheSettings#newStore} says which store each one is).
 */
public enum KvMode {
    FP32, FP16, RTN2, RTN4, KIVI2, KIVI4, SINK, SMOOTHQUANT, SKVQ, AKVQ,
    /** AKVQ-VL's forms (layer table, pivots, window, text INT4, rotation, clips) with keys per channel as KIVI's. */
    AKVQ_KC;

    /** Whether the mode reads the TSA/PSA layer table ({@link KvLayerTable}). */
    public boolean readsLayerTable() {
        return this == AKVQ || this == AKVQ_KC;
    }

    /** Whether the mode reads a model's KV channel calibration ({@link KvChannelStatistics}). */
    public boolean needsChannelCalibration() {
        return this == SMOOTHQUANT || this == SKVQ;
    }

    /** Parses a {@code --kv} value; an unknown one is an error listing the modes. */
    public static KvMode parse(String text) {
        for (KvMode m : values()) {
            if (m.flag().equalsIgnoreCase(text)) return m;
        }
        throw new IllegalArgumentException("unknown KV mode \"" + text + "\"; expected one of "
                + Arrays.stream(values()).map(KvMode::flag).toList());
    }

    /** The mode as {@code --kv} spells it ({@code akvq-kc} for AKVQ_KC). */
    public String flag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
