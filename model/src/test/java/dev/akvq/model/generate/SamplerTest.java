package dev.akvq.model.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    static float[] logits(SplittableRandom r, int n) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (3 * r.nextGaussian());
        return l;
    }

    @Test
    void greedyTakesTheFirstHighest() {
        assertEquals(1, Greedy.argmax(new float[] {0f, 2f, 2f, -1f}));
        assertEquals(0, Greedy.argmax(new float[] {5f}));
    }

    @Test
    void topKOfOneAndTinyTopPAreGreedyAtAnyTemperature() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] l = logits(r, 2 + r.nextInt(60));
            double temperature = 0.05 + 3 * r.nextDouble();
            assertEquals(Greedy.argmax(l), Sampler.sampling(temperature, 1, 1.0, seed).next(l));
            assertEquals(Greedy.argmax(l), Sampler.sampling(temperature, 0, 1e-9, seed).next(l));
        });
    }

    @Test
    void samplesStayInsideTheTopKAndRepeatForTheSameSeed() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] l = logits(r, 10 + r.nextInt(50));
            int k = 1 + r.nextInt(5);
            float[] sorted = l.clone();
            java.util.Arrays.sort(sorted);
            float kth = sorted[l.length - k];
            Sampler a = Sampler.sampling(1.0, k, 1.0, seed), b = Sampler.sampling(1.0, k, 1.0, seed);
            for (int i = 0; i < 20; i++) {
                int x = a.next(l);
                assertTrue(l[x] >= kth, "token " + x + " outside the top " + k);
                assertEquals(x, b.next(l));
            }
        });
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        float[] l = {0f, (float) Math.log(3)};        // probabilities 1/4 and 3/4
        Sampler s = Sampler.sampling(1.0, 0, 1.0, 42);
        int ones = 0, draws = 20000;
        for (int i = 0; i < draws; i++) ones += s.next(l);
        assertEquals(0.75, ones / (double) draws, 0.015);
    }

    /** Which tokens {@code p} ever draws over many draws (a token with probability 1/8 shows up within 400). */
    private static java.util.Set<Integer> drawn(float[] l, double topP) {
        Sampler s = Sampler.sampling(1.0, 0, topP, 5);
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (int i = 0; i < 400; i++) seen.add(s.next(l));
        return seen;
    }

    /**
     * TopPLogitsWarper (transformers 4.47.1): sorted ascending, a token is removed while the cumulative
     * probability up to and including it is {@code <= 1 - top_p}; the most likely token always stays.
     */
    @Test
    void topPRemovesTokensUpToAndIncludingTheBoundary() {
        float[] halves = {0f, 0f};                                  // 1/2 and 1/2, exactly
        assertEquals(java.util.Set.of(1), drawn(halves, 0.5));     // cumulative 1/2 <= 1 - 1/2: token 0 goes
        assertEquals(java.util.Set.of(0, 1), drawn(halves, 0.5 + 1e-9));
        float[] l = {0f, (float) Math.log(3), (float) Math.log(4)}; // 1/8, 3/8, 1/2
        assertEquals(java.util.Set.of(2), drawn(l, 0.5 - 1e-6));    // 1/8 + 3/8 <= 1/2 + 1e-6: both go
        assertEquals(java.util.Set.of(1, 2), drawn(l, 0.5 + 1e-6)); // 1/8 goes, 3/8 would cross the boundary
        assertEquals(java.util.Set.of(1, 2), drawn(l, 0.875 - 1e-6));
        assertEquals(java.util.Set.of(0, 1, 2), drawn(l, 0.875 + 1e-6));
        assertEquals(java.util.Set.of(2), drawn(new float[] {0f, 9f, 20f}, 1e-12));  // the most likely always stays
    }

    /**
     * Tied tokens at the boundary (four equal logits give exactly 1/4 each, so each cumulative sum is exact):
     * ties leave lowest index first (a stable sort; torch.sort promises no order among ties), and a
     * tie is split when the boundary falls between its members.
     */
    @Test
    void topPSplitsTiesAtTheBoundaryInIndexOrder() {
        float[] quarters = {0f, 0f, 0f, 0f};                                       // 1/4 each
        assertEquals(java.util.Set.of(3), drawn(quarters, 0.25));                 // 1/4 + 1/4 + 1/4 <= 3/4: three go
        assertEquals(java.util.Set.of(2, 3), drawn(quarters, 0.5));
        assertEquals(java.util.Set.of(1, 2, 3), drawn(quarters, 0.75));
        assertEquals(java.util.Set.of(0, 1, 2, 3), drawn(quarters, 0.75 + 1e-9));
        float[] tieBelowHalf = {0f, 0f, (float) Math.log(2)};                    // about 1/4, 1/4, 1/2
        assertEquals(java.util.Set.of(1, 2), drawn(tieBelowHalf, 0.75));          // the boundary splits the tie
        assertEquals(java.util.Set.of(2), drawn(tieBelowHalf, 0.5));
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(1, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(1, 0, 0, 0));
    }
}
