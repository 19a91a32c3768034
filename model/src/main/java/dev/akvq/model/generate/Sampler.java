package dev.akvq.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits. Greedy when {@code temperature == 0}; otherwise the warpers
 * of transformers' generate() in its order (temperature, then top-k, then top-p; generation/
 * logits_process.py, v4.47.1), softmax, and one draw from a seeded generator. The draws do not
 * reproduce torch.multinomial's; a seed makes our own runs repeatable.
 *
 * @param temperature 0 for greedy, else > 0
 * @param topK        keep the k most likely tokens; 0 keeps all
 * @param topP        keep the smallest set whose probability reaches p; 1 keeps all
 */
public final class Sampler {
    private final double temperature, topP;
    private final int topK;
    private final SplittableRandom random;

    private Sampler(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0);
    }

    public static Sampler sampling(double temperature, int topK, double topP, long seed) {
        return new Sampler(temperature, topK, topP, seed);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public int next(float[] logits) {
        if (isGreedy()) return Greedy.argmax(logits);
        int n = logits.length;
        double[] scaled = new double[n];
        for (int i = 0; i < n; i++) scaled[i] = logits[i] / temperature;
        // top-k: everything below the k-th largest scaled logit is removed (ties at the k-th are kept, as torch.topk's threshold does).
        if (topK > 0 && topK < n) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[n - topK];
            for (int i = 0; i < n; i++) if (scaled[i] < kth) scaled[i] = Double.NEGATIVE_INFINITY;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scaled) max = Math.max(max, s);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(scaled[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) p[i] /= sum;
        // top-p: walk tokens from least to most likely, removing while the removed mass stays <= 1 - p; the most likely always stays.
        if (topP < 1) {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
            double removed = 0;
            for (int j = 0; j < n - 1; j++) {
                removed += p[order[j]];
                if (removed > 1 - topP) break;
                p[order[j]] = 0;
            }
            double kept = 0;
            for (double v : p) kept += v;
            for (int i = 0; i < n; i++) p[i] /= kept;
        }
        double u = random.nextDouble(), cumulative = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] == 0) continue;
            cumulative += p[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last;
    }
}
