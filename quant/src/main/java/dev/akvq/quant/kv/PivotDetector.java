package dev.akvq.quant.kv;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Finds the pivot tokens of a PSA layer at prefill from the massive activations of the residual
 * stream entering it (docs/akvq-vl.md, "Pivots"). Ties are broken by the lower index (token, then
 * channel), so the set is deterministic.
 */
public final class PivotDetector {
    private PivotDetector() {}

    /**
     * @param residual {@code [tokens, hidden]} row-major
     * @return the pivot tokens as a set of token indices
     */
    public static BitSet find(float[] residual, int tokens, int hidden, int pivots, PivotRule rule) {
        if ((long) tokens * hidden > residual.length) {
            throw new IllegalArgumentException("PivotDetector: residual of " + residual.length + " floats is shorter than "
                    + tokens + " tokens x " + hidden);
        }
        BitSet chosen = new BitSet(tokens);
        if (pivots <= 0 || tokens == 0) return chosen;
        if (rule == PivotRule.TOKENS) {
            float[] peak = new float[tokens];
            for (int t = 0; t < tokens; t++) {
                float m = 0;
                for (int c = 0; c < hidden; c++) m = Math.max(m, Math.abs(residual[t * hidden + c]));
                peak[t] = m;
            }
            Integer[] order = new Integer[tokens];
            for (int t = 0; t < tokens; t++) order[t] = t;
            Arrays.sort(order, (x, y) -> peak[x] != peak[y] ? Float.compare(peak[y], peak[x]) : Integer.compare(x, y));
            for (int i = 0; i < Math.min(pivots, tokens); i++) chosen.set(order[i]);
            return chosen;
        }
        // ENTRIES: keep the `pivots` largest |h| entries in a small sorted list (pivots is ~15).
        int k = (int) Math.min(pivots, (long) tokens * hidden);
        float[] top = new float[k];
        int[] where = new int[k];
        int size = 0;
        for (int i = 0; i < tokens * hidden; i++) {
            float a = Math.abs(residual[i]);
            if (size == k && !(a > top[k - 1])) continue;       // strictly larger: lower index wins ties
            int at = size == k ? k - 1 : size++;
            while (at > 0 && a > top[at - 1]) {
                top[at] = top[at - 1];
                where[at] = where[at - 1];
                at--;
            }
            top[at] = a;
            where[at] = i;
        }
        for (int i = 0; i < size; i++) chosen.set(where[i] / hidden);
        return chosen;
    }
}
