package dev.akvq.quant.kv;

import java.util.Locale;

/**
 * How pivot tokens are found from the residual stream entering a PSA layer (docs/akvq-vl.md, "Pivots").
 * {@link #ENTRIES}: the {@code pivots} largest |h[t,c]| entries over all (t, c), mapped to their
 * tokens and de-duplicated (so at most {@code pivots} tokens). {@link #TOKENS}: tokens ranked by
 * {@code max_c |h[t,c]|}, the {@code pivots} first.
 */
public enum PivotRule {
    ENTRIES, TOKENS;

    public static PivotRule parse(String text) {
        for (PivotRule r : values()) if (r.flag().equals(text)) return r;
        throw new IllegalArgumentException("unknown pivot rule \"" + text + "\"; expected entries or tokens");
    }

    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
