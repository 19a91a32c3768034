package dev.akvq.model.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.akvq.model.Trace;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.Qwen2VLVisionConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Properties of the vision tower and merger on random small weights (the goldens pin the
 * numbers of one single-frame image): the result does not depend on the thread count, and
 * attention stays within each frame (cu_seqlens), so a batch of images and a video's frames give
 * the rows each would give alone.
 */
class Qwen2VLVisionTowerTest {
    static final WorkerPool[] POOLS = {WorkerPool.create(1), WorkerPool.create(2), WorkerPool.create(3)};

    @AfterAll
    static void close() {
        for (WorkerPool p : POOLS) p.close();
    }

    /** depth 2, embed 16, 2 heads of 8, patch 2, temporal 2, 3 channels: 24 values per pixel_values row. */
    static Qwen2VLVisionConfig config(int merge) {
        return new Qwen2VLVisionConfig(2, 16, 12, "quick_gelu", 2.0, 2, 3, 2, merge, 2);
    }

    static Qwen2VLVisionTower.Weights weights(Qwen2VLVisionConfig c, SplittableRandom r, DType dtype) {
        int e = c.embedDim(), mlp = c.mlpHiddenDim();
        List<Qwen2VLVisionTower.Block> blocks = new ArrayList<>();
        for (int b = 0; b < c.depth(); b++) {
            blocks.add(new Qwen2VLVisionTower.Block(near1(r, e), small(r, e), m(r, dtype, 3 * e, e), small(r, 3 * e),
                    m(r, dtype, e, e), small(r, e), near1(r, e), small(r, e), m(r, dtype, mlp, e), small(r, mlp),
                    m(r, dtype, e, mlp), small(r, e)));
        }
        return new Qwen2VLVisionTower.Weights(m(r, dtype, e, Qwen2VLVisionTower.patchWidth(c)), blocks);
    }

    static Qwen2VLMerger.Weights mergerWeights(Qwen2VLVisionConfig c, SplittableRandom r) {
        int e = c.embedDim(), in = c.mergerInputDim();
        return new Qwen2VLMerger.Weights(near1(r, e), small(r, e), m(r, DType.BF16, in, in), small(r, in),
                m(r, DType.BF16, c.hiddenSize(), in), small(r, c.hiddenSize()));
    }

    static MatrixView m(SplittableRandom r, DType dtype, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() / Math.sqrt(cols));
        return MatrixView.of(dtype, rows, cols, v);
    }

    static float[] near1(SplittableRandom r, int n) {
        float[] v = small(r, n);
        for (int i = 0; i < n; i++) v[i] += 1;
        return v;
    }

    static float[] small(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.2 * r.nextGaussian());
        return v;
    }

    static List<ImageGrid> grids(SplittableRandom r, int merge) {
        List<ImageGrid> grids = new ArrayList<>();
        int count = 1 + r.nextInt(3);
        for (int i = 0; i < count; i++) grids.add(new ImageGrid(1 + r.nextInt(2), merge * (1 + r.nextInt(3)), merge * (1 + r.nextInt(4))));
        return grids;
    }

    static float[] pixels(SplittableRandom r, List<ImageGrid> grids, Qwen2VLVisionConfig c) {
        int rows = 0;
        for (ImageGrid g : grids) rows += g.patches();
        float[] p = new float[rows * Qwen2VLVisionTower.patchWidth(c)];
        for (int i = 0; i < p.length; i++) p[i] = (float) r.nextGaussian();
        return p;
    }

    @Test
    void towerAndMergerGiveTheSameBitsForEveryThreadCount() {
        qt().withExamples(10).forAll(integers().between(1, 1 << 20)).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Qwen2VLVisionConfig c = config(2);
            Qwen2VLVisionTower.Weights w = weights(c, r, r.nextBoolean() ? DType.F32 : DType.BF16);
            Qwen2VLMerger.Weights mw = mergerWeights(c, r);
            List<ImageGrid> grids = grids(r, 2);
            float[] pixels = pixels(r, grids, c);
            float[] reference = null, referenceMerged = null;
            for (WorkerPool pool : POOLS) {
                float[] out = new Qwen2VLVisionTower(c, w, pool).forward(pixels, grids, Trace.NONE);
                float[] merged = new Qwen2VLMerger(c, mw, pool).forward(out, Trace.NONE);
                if (reference == null) {
                    reference = out;
                    referenceMerged = merged;
                } else {
                    assertArrayEquals(reference, out, pool.threads() + " threads, grids " + grids);
                    assertArrayEquals(referenceMerged, merged, pool.threads() + " threads, grids " + grids);
                }
            }
        });
    }

    @Test
    void attentionStaysWithinEachFrameOfEachImage() {
        qt().withExamples(10).forAll(integers().between(1, 1 << 20)).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Qwen2VLVisionConfig c = config(2);
            Qwen2VLVisionTower tower = new Qwen2VLVisionTower(c, weights(c, r, DType.F32), POOLS[0]);
            List<ImageGrid> grids = grids(r, 2);
            float[] pixels = pixels(r, grids, c);
            float[] together = tower.forward(pixels, grids, Trace.NONE);
            int width = Qwen2VLVisionTower.patchWidth(c), e = c.embedDim(), row = 0;
            for (ImageGrid g : grids) {
                for (int f = 0; f < g.t(); f++) {
                    ImageGrid frame = new ImageGrid(1, g.h(), g.w());
                    int n = frame.patches();
                    float[] alone = tower.forward(Arrays.copyOfRange(pixels, row * width, (row + n) * width), List.of(frame),
                            Trace.NONE);
                    assertArrayEquals(alone, Arrays.copyOfRange(together, row * e, (row + n) * e), "frame " + f + " of " + g
                            + " in " + grids);
                    row += n;
                }
            }
        });
    }

    @Test
    void rotaryAnglesFollowMergeGroupOrder() {
        Qwen2VLVisionConfig c = config(2);
        Qwen2VLVisionTower tower = new Qwen2VLVisionTower(c, weights(c, new SplittableRandom(1), DType.F32), POOLS[0]);
        // grid (1, 2, 4): merge groups (rows 0-1, cols 0-1) then (rows 0-1, cols 2-3), each row-major inside.
        float[] angles = tower.rotaryAngles(List.of(new ImageGrid(1, 2, 4)));
        int[][] rowCol = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}};
        float inv1 = (float) (1.0 / Math.pow(10000, 0.5));   // head_dim 8 -> VisionRotaryEmbedding(4): inv_freq {1, 1/100}
        for (int p = 0; p < rowCol.length; p++) {
            assertEquals(rowCol[p][0], angles[p * 4], "row of patch " + p);
            assertEquals(rowCol[p][0] * inv1, angles[p * 4 + 1], 1e-7, "row * inv_freq[1] of patch " + p);
            assertEquals(rowCol[p][1], angles[p * 4 + 2], "column of patch " + p);
            assertEquals(rowCol[p][1] * inv1, angles[p * 4 + 3], 1e-7, "column * inv_freq[1] of patch " + p);
        }
    }

    @Test
    void aMergeSizeThatDoesNotDivideTheGridIsAClearError() {
        Qwen2VLVisionConfig c = config(4);
        Qwen2VLVisionTower tower = new Qwen2VLVisionTower(c, weights(c, new SplittableRandom(2), DType.F32), POOLS[0]);
        List<ImageGrid> grid = List.of(new ImageGrid(1, 6, 10));
        var e = assertThrows(IllegalArgumentException.class,
                () -> tower.forward(new float[60 * Qwen2VLVisionTower.patchWidth(c)], grid, Trace.NONE));
        assertEquals("image_grid_thw row 0 (1, 6, 10): height and width must be multiples of"
                + " vision_config.spatial_merge_size = 4", e.getMessage());
    }

    @Test
    void pixelRowsOfTheWrongWidthAreAClearError() {
        Qwen2VLVisionConfig c = config(2);
        Qwen2VLVisionTower tower = new Qwen2VLVisionTower(c, weights(c, new SplittableRandom(3), DType.F32), POOLS[0]);
        var e = assertThrows(IllegalArgumentException.class,
                () -> tower.forward(new float[4 * 25], List.of(new ImageGrid(1, 2, 2)), Trace.NONE));
        assertEquals("pixel_values has 100 values, not a whole number of rows of 24 (in_channels x temporal_patch_size"
                + " x patch_size^2)", e.getMessage());
    }
}
