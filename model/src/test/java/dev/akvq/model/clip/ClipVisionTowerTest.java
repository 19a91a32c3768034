package dev.akvq.model.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.Trace;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.ClipVisionConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the CLIP tower on random small configurations (odd hidden sizes, heads, patch
 * sizes; F32 and BF16 weights): every hidden state is bit for bit the same with 1, 2 or 3
 * threads, and an image gives the same bits alone, in a batch, or at another place in the batch
 * (so neither the order of patch/head jobs nor the batch composition changes a result).
 */
public class ClipVisionTowerTest {

    public record RandomTower(ClipVisionConfig config, ClipVisionTower.Weights weights) {
        public ClipVisionTower on(WorkerPool pool) {
            return new ClipVisionTower(config, weights, pool);
        }
    }

    public static RandomTower randomTower(SplittableRandom r) {
        int heads = 1 + r.nextInt(4), hidden = heads * (1 + r.nextInt(12)), ffn = 1 + r.nextInt(70);
        int patch = 1 + r.nextInt(6), side = 1 + r.nextInt(5), image = patch * side + r.nextInt(patch); // a remainder is ignored
        int layers = 1 + r.nextInt(3), channels = 1 + r.nextInt(3);
        String act = List.of("quick_gelu", "gelu", "gelu_pytorch_tanh").get(r.nextInt(3));
        ClipVisionConfig c = new ClipVisionConfig(hidden, ffn, hidden, layers, heads, channels, image, patch, act, 1e-5);
        DType dtype = r.nextBoolean() ? DType.F32 : DType.BF16;
        List<ClipVisionTower.Layer> list = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            list.add(new ClipVisionTower.Layer(v(r, hidden, 1), v(r, hidden, 0.1), m(r, dtype, hidden, hidden), v(r, hidden, 0.1),
                    m(r, dtype, hidden, hidden), v(r, hidden, 0.1), m(r, dtype, hidden, hidden), v(r, hidden, 0.1),
                    m(r, dtype, hidden, hidden), v(r, hidden, 0.1), v(r, hidden, 1), v(r, hidden, 0.1),
                    m(r, dtype, ffn, hidden), v(r, ffn, 0.1), m(r, dtype, hidden, ffn), v(r, hidden, 0.1)));
        }
        var w = new ClipVisionTower.Weights(v(r, hidden, 1), m(r, dtype, hidden, channels * patch * patch),
                v(r, (side * side + 1) * hidden, 0.5), v(r, hidden, 1), v(r, hidden, 0.1), List.copyOf(list));
        return new RandomTower(c, w);
    }

    public static float[] v(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * (2 * r.nextDouble() - 1));
        return a;
    }

    public static MatrixView m(SplittableRandom r, DType dtype, int rows, int cols) {
        return MatrixView.of(dtype, rows, cols, v(r, rows * cols, 1 / Math.sqrt(cols)));
    }

    @Test
    void hiddenStatesAreBitIdenticalForOneTwoAndThreeThreadsAndAcrossBatches() {
        try (WorkerPool p1 = WorkerPool.create(1); WorkerPool p2 = WorkerPool.create(2); WorkerPool p3 = WorkerPool.create(3)) {
            qt().withExamples(25).forAll(longs().all()).checkAssert(seed -> {
                SplittableRandom r = new SplittableRandom(seed);
                RandomTower t = randomTower(r);
                ClipVisionConfig c = t.config();
                int images = 1 + r.nextInt(3), per = c.numChannels() * c.imageSize() * c.imageSize();
                float[] pixels = v(r, images * per, 2);
                int layers = c.numHiddenLayers();
                List<Integer> all = IntStream.rangeClosed(0, layers).boxed().toList();
                Map<Integer, float[]> one = t.on(p1).hiddenStates(pixels, images, all, Trace.NONE);
                for (WorkerPool pool : List.of(p2, p3)) {
                    Map<Integer, float[]> other = t.on(pool).hiddenStates(pixels, images, all, Trace.NONE);
                    for (int s = 0; s <= layers; s++) {
                        assertArrayEquals(one.get(s), other.get(s), pool.threads() + " threads, state " + s + ", " + c);
                    }
                }
                // The last image alone gives the rows it had in the batch.
                int seq = c.numPatches() + 1, rows = seq * c.hiddenSize();
                Map<Integer, float[]> alone = t.on(p3).hiddenStates(Arrays.copyOfRange(pixels, (images - 1) * per, images * per), 1, all,
                        Trace.NONE);
                for (int s = 0; s <= layers; s++) {
                    assertArrayEquals(Arrays.copyOfRange(one.get(s), (images - 1) * rows, images * rows), alone.get(s),
                            "alone vs batch, state " + s + ", " + c);
                }
            });
        }
    }

    @Test
    void stopsAtTheRequestedStateAndChecksThePixelCount() {
        RandomTower t = randomTower(new SplittableRandom(3));
        ClipVisionConfig c = t.config();
        int per = c.numChannels() * c.imageSize() * c.imageSize();
        try (WorkerPool pool = WorkerPool.create(1)) {
            assertEquals(List.of(0), List.copyOf(t.on(pool).hiddenStates(new float[per], 1, List.of(0), Trace.NONE).keySet()));
            var e = assertThrows(IllegalArgumentException.class, () -> t.on(pool).hiddenStates(new float[per + 1], 1, List.of(0), Trace.NONE));
            assertEquals(true, e.getMessage().contains("pixel_values holds " + (per + 1)), e.getMessage());
        }
    }
}
