package dev.akvq.model.idefics3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.Trace;
import dev.akvq.model.VisionEncoderLayer;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.SiglipVisionConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Idefics3 vision tower on random weights of odd sizes (6 patches a side, hidden 36, 3 heads of
 * 12): thread-count invariance, the padding mask, and the bucketed position ids. Conformance with
 * transformers is Idefics3ConformanceTest in tests/.
 */
class Idefics3VisionTowerTest {
    private static final SiglipVisionConfig CONFIG =
            new SiglipVisionConfig("idefics3_vision", 36, 44, 2, 3, 3, 24, 4, "gelu_pytorch_tanh", 1e-6);

    @Test
    void outputIsBitIdenticalForOneTwoAndThreeThreads() {
        var weights = randomWeights(CONFIG, new SplittableRandom(7), DType.BF16);
        int tiles = 3;
        float[] pixels = randomPixels(tiles, new SplittableRandom(8));
        long[] mask = new long[tiles * 24 * 24];
        Arrays.fill(mask, 1);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 24; x++) if (y >= 14 || x >= 19) mask[(24 + y) * 24 + x] = 0;
        float[] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = WorkerPool.create(threads)) {
                var tower = new Idefics3VisionTower(CONFIG, weights, pool);
                float[] out = tower.forward(pixels, tower.patchMask(mask, tiles), tiles, Trace.NONE);
                if (first == null) first = out;
                else assertArrayEquals(first, out, "threads " + threads);
            }
        }
    }

    @Test
    void realPatchesIgnoreWhatThePaddingHolds() {
        var weights = randomWeights(CONFIG, new SplittableRandom(11), DType.F32);
        float[] pixels = randomPixels(1, new SplittableRandom(12));
        long[] mask = new long[24 * 24];
        // Real part 16 x 12 pixels = 4 x 3 patches; patch (1, 3) is real through one pixel only.
        for (int y = 0; y < 16; y++) for (int x = 0; x < 12; x++) mask[y * 24 + x] = 1;
        try (WorkerPool pool = WorkerPool.create(2)) {
            var tower = new Idefics3VisionTower(CONFIG, weights, pool);
            boolean[] patches = tower.patchMask(mask, 1);
            float[] before = tower.forward(pixels, patches, 1, Trace.NONE);
            float[] changed = pixels.clone();
            for (int c = 0; c < 3; c++) for (int y = 0; y < 24; y++) for (int x = 0; x < 24; x++) {
                if (y >= 16 || x >= 12) changed[(c * 24 + y) * 24 + x] += 0.5f;
            }
            float[] after = tower.forward(changed, patches, 1, Trace.NONE);
            int hidden = CONFIG.hiddenSize(), compared = 0;
            for (int p = 0; p < 36; p++) {
                float[] a = Arrays.copyOfRange(before, p * hidden, (p + 1) * hidden);
                float[] b = Arrays.copyOfRange(after, p * hidden, (p + 1) * hidden);
                if (patches[p]) {
                    assertArrayEquals(a, b, "real patch " + p);
                    compared++;
                } else {
                    assertNotEquals(Arrays.toString(a), Arrays.toString(b), "padding patch " + p + " sees its own pixels");
                }
            }
            assertEquals(12, compared);
            // Without the mask the same change reaches every patch: the check above can fail.
            boolean[] all = new boolean[36];
            Arrays.fill(all, true);
            assertNotEquals(Arrays.toString(tower.forward(pixels, all, 1, Trace.NONE)).substring(0, 200),
                    Arrays.toString(tower.forward(changed, all, 1, Trace.NONE)).substring(0, 200));
        }
    }

    @Test
    void positionIdsOfAPaddedTileAreBucketedOverTheWholeGrid() {
        // 8 x 8 grid, real part 4 x 6 patches. arange(0, 1 - 1e-6, 1/4) = 0, .25, .5, .75 → buckets of
        // boundaries 1/8 .. 7/8 (right=True): 0, 2, 4, 6; arange(0, 1 - 1e-6, float32(1/6)) = 0, .167, .333, .5,
        // .667, .833 → 0, 1, 2, 4, 5, 6. Padding patches keep id 0.
        boolean[] mask = new boolean[64];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 6; c++) mask[r * 8 + c] = true;
        int[] ids = Idefics3VisionTower.positionIds(mask, 0, 8);
        int[] rows = {0, 2, 4, 6}, cols = {0, 1, 2, 4, 5, 6};
        for (int r = 0; r < 8; r++) {
            for (int c = 0; c < 8; c++) {
                int expected = r < 4 && c < 6 ? rows[r] * 8 + cols[c] : 0;
                assertEquals(expected, ids[r * 8 + c], "patch (" + r + ", " + c + ")");
            }
        }
    }

    @Test
    void aWholeTileGetsTheIdentityPositions() {
        for (int side : new int[] {4, 8, 32}) {
            boolean[] mask = new boolean[side * side];
            Arrays.fill(mask, true);
            int[] ids = Idefics3VisionTower.positionIds(mask, 0, side);
            for (int i = 0; i < ids.length; i++) assertEquals(i, ids[i], "side " + side + " patch " + i);
        }
    }

    @Test
    void badInputsNameTheTensor() {
        try (WorkerPool pool = WorkerPool.create(1)) {
            var tower = new Idefics3VisionTower(CONFIG, randomWeights(CONFIG, new SplittableRandom(1), DType.F32), pool);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> tower.forward(new float[3 * 24 * 23], new boolean[36], 1, Trace.NONE));
            assertTrue(e.getMessage().startsWith("pixel_values: 1656 values, expected 1728"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> tower.patchMask(new long[100], 1));
            assertTrue(e.getMessage().startsWith("pixel_attention_mask: 100 values"), e.getMessage());
            boolean[] holes = new boolean[36];
            holes[7] = true;   // real patches, none in the first row or column
            e = assertThrows(IllegalArgumentException.class, () -> Idefics3VisionTower.positionIds(holes, 0, 6));
            assertTrue(e.getMessage().contains("bottom and right"), e.getMessage());
            var gelu = new SiglipVisionConfig("idefics3_vision", 36, 44, 2, 3, 3, 24, 4, "relu", 1e-6);
            e = assertThrows(IllegalArgumentException.class, () -> new Idefics3VisionTower(gelu, null, pool));
            assertTrue(e.getMessage().contains("vision_config.hidden_act \"relu\""), e.getMessage());
        }
    }

    static float[] randomPixels(int tiles, SplittableRandom random) {
        float[] out = new float[tiles * 3 * 24 * 24];
        for (int i = 0; i < out.length; i++) out[i] = (float) (random.nextDouble() * 2 - 1);
        return out;
    }

    static Idefics3VisionTower.Weights randomWeights(SiglipVisionConfig c, SplittableRandom random, DType dtype) {
        int h = c.hiddenSize(), f = c.intermediateSize(), patch = c.numChannels() * c.patchSize() * c.patchSize();
        List<VisionEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new VisionEncoderLayer(norm(h, random), vector(h, random), matrix(h, h, random, dtype),
                    vector(h, random), matrix(h, h, random, dtype), vector(h, random), matrix(h, h, random, dtype),
                    vector(h, random), matrix(h, h, random, dtype), vector(h, random), norm(h, random), vector(h, random),
                    matrix(f, h, random, dtype), vector(f, random), matrix(h, f, random, dtype), vector(h, random)));
        }
        return new Idefics3VisionTower.Weights(matrix(h, patch, random, dtype), vector(h, random),
                matrix(c.numPatches(), h, random, dtype), layers, norm(h, random), vector(h, random));
    }

    private static MatrixView matrix(int rows, int cols, SplittableRandom random, DType dtype) {
        float[] v = new float[rows * cols];
        double scale = 1 / Math.sqrt(cols);
        for (int i = 0; i < v.length; i++) v[i] = (float) ((random.nextDouble() * 2 - 1) * scale * 1.7);
        return MatrixView.of(dtype, rows, cols, v);
    }

    private static float[] vector(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (random.nextDouble() * 0.2 - 0.1);
        return v;
    }

    private static float[] norm(int n, SplittableRandom random) {
        float[] v = vector(n, random);
        for (int i = 0; i < n; i++) v[i] += 1;
        return v;
    }
}
