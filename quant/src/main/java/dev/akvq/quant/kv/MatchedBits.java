package dev.akvq.quant.kv;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Configures a mode to land within {@value #TOLERANCE} bits per value of a target budget on a given
 * set of sequences, so that modes compare at equal memory. Bits are what the stores themselves
 * account ({@link KvFootprint}: codes, scales, zero points or minima, FP16 rows; per-token
 * bookkeeping is reported apart), measured by filling each candidate's cache with random rows laid
 * out as the set's sequences (prompt length and modality of each position, tokens generated), so
 * the number is exact for those lengths rather than a formula.
 *
 * <p>The knobs, per mode: the group size (the mode's own first, then smaller groups down to 4
 * channels, which add metadata bits) and the FP16 window (KIVI: the FP16 residual, in whole groups),
 * chosen by bisection as the one closest to the target. FP32 and FP16 have no knob. A mode that
 * cannot reach the target within the tolerance is reported, not run.
 */
public final class MatchedBits {
    public static final double TOLERANCE = 0.15;

    private MatchedBits() {}

    /** One sequence of the set: each prompt position's modality and the number of generated tokens. */
    public record Layout(Modality[] prompt, int generated) {}

    /** The configured settings and the bits they give, or why none fits. */
    public record Match(Optional<KvCacheSettings> settings, double bits, String note) {}

    /** The model dimensions the cache is built for. */
    public record Shape(int layers, int kvHeads, int headDim, int hidden) {}

    public static Match configure(KvCacheSettings base, double target, Shape shape, List<Layout> layouts) {
        KvMode mode = base.mode();
        if (mode == KvMode.FP32 || mode == KvMode.FP16) {
            double bits = mode == KvMode.FP32 ? 32 : 16;
            return Math.abs(bits - target) <= TOLERANCE ? new Match(Optional.of(base), bits, "no knob")
                    : new Match(Optional.empty(), bits, mode.flag() + " has no cost knob: always " + (int) bits + " bits");
        }
        boolean kivi = mode == KvMode.KIVI2 || mode == KvMode.KIVI4;
        int maxLength = layouts.stream().mapToInt(l -> l.prompt().length + l.generated()).max().orElse(1);
        List<Integer> groups = new ArrayList<>();
        for (int g = kivi ? base.group() : Math.min(base.group(), shape.headDim()); g >= 4; g /= 2) {
            if (kivi || shape.headDim() % g == 0) groups.add(g);
        }
        KvCacheSettings best = null;
        double bestBits = Double.NaN;
        for (int group : groups) {
            KvCacheSettings g = base.withGroup(group);
            // bits grow with the window (residual): bisect for the setting nearest the target
            int unit = kivi ? group : 1, lo = kivi ? 1 : 0, hi = (maxLength + unit - 1) / unit + 1;
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (bits(knob(g, kivi, mid * unit), shape, layouts) <= target) lo = mid;
                else hi = mid;
            }
            for (int k : new int[] {lo, hi}) {
                KvCacheSettings s = knob(g, kivi, k * unit);
                double b = bits(s, shape, layouts);
                if (best == null || Math.abs(b - target) < Math.abs(bestBits - target)) {
                    best = s;
                    bestBits = b;
                }
            }
            if (Math.abs(bestBits - target) <= TOLERANCE) break;
        }
        if (best == null || Math.abs(bestBits - target) > TOLERANCE) {
            return new Match(Optional.empty(), bestBits, String.format(Locale.ROOT, "%s cannot reach %.2f bits within %.2f: nearest %.2f",
                    mode.flag(), target, TOLERANCE, bestBits));
        }
        return new Match(Optional.of(best), bestBits, String.format(Locale.ROOT, "group %d, %s %d: %.3f bits", best.group(),
                kivi ? "residual" : "window", kivi ? best.residual() : best.window(), bestBits));
    }

    private static KvCacheSettings knob(KvCacheSettings s, boolean kivi, int value) {
        return kivi ? s.withResidual(value) : s.withWindow(value);
    }

    /**
     * Bits per value the settings' stores account over the layouts (every layer, at the end of
     * decoding). Layers of one kind hold the same bytes, so one layer of each kind is filled (akvq:
     * one TSA and one PSA layer; every other mode: one layer) and counted for all its kind.
     */
    public static double bits(KvCacheSettings settings, Shape shape, List<Layout> layouts) {
        SplittableRandom r = new SplittableRandom(1);
        long bytes = 0, values = 0;
        int width = shape.kvHeads() * shape.headDim();
        int[] kindCount = new int[2], kindLayer = {-1, -1};
        for (int l = 0; l < shape.layers(); l++) {
            int kind = settings.mode().readsLayerTable() && settings.layers().pattern(l) == LayerPattern.PSA ? 1 : 0;
            kindCount[kind]++;
            if (kindLayer[kind] < 0) kindLayer[kind] = l;
        }
        for (Layout layout : layouts) {
            int n = layout.prompt().length;
            float[] residual = new float[n * shape.hidden()];
            for (int i = 0; i < residual.length; i++) residual[i] = (float) r.nextGaussian();
            float[] k = new float[width], v = new float[width];
            for (int kind = 0; kind < 2; kind++) {
                if (kindCount[kind] == 0) continue;
                KeyValueStore store = settings.newStore(kindLayer[kind], shape.kvHeads(), shape.headDim());
                store.beginPrefill(residual, n, shape.hidden());
                for (int t = 0; t < n + layout.generated(); t++) {
                    for (int i = 0; i < width; i++) {
                        k[i] = (float) r.nextGaussian();
                        v[i] = (float) r.nextGaussian();
                    }
                    boolean prompt = t < n;
                    store.append(k, 0, v, 0, new CachedToken(t, prompt ? layout.prompt()[t] : Modality.TEXT, !prompt));
                    if (t == n - 1) store.endPrefill();
                }
                KvFootprint f = store.footprint();
                bytes += kindCount[kind] * f.bytes();
                values += kindCount[kind] * f.values();
            }
        }
        return 8.0 * bytes / values;
    }
}
