package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The small shared pieces of the vision towers: the activation lookup, row-wise LayerNorm over the
 * pool, patch unfolding and the cos/sin expansion, each against a plain twin written here.
 */
class VisionBlocksTest {

    @Test
    void activationNamesMapToTheirKernelsAndAnUnknownNameIsNamed() {
        float[] x = {-3f, -0.5f, 0f, 0.7f, 2.5f};
        Object[][] cases = {{"gelu", (ActivationTest.Kernel) GeluErf::apply}, {"gelu_pytorch_tanh", (ActivationTest.Kernel) GeluTanh::apply},
                {"gelu_new", (ActivationTest.Kernel) GeluTanh::apply}, {"quick_gelu", (ActivationTest.Kernel) QuickGelu::apply},
                {"silu", (ActivationTest.Kernel) Silu::apply}};
        for (Object[] c : cases) {
            float[] byName = x.clone(), direct = x.clone();
            Activation.named("field", (String) c[0]).apply(byName, 0, byName.length);
            ((ActivationTest.Kernel) c[1]).apply(direct, 0, direct.length);
            Closeness.sameArrays((String) c[0], byName, direct);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Activation.named("config.json: vision_config.hidden_act", "relu"));
        assertTrue(e.getMessage().contains("config.json: vision_config.hidden_act \"relu\"") && e.getMessage().contains("quick_gelu"),
                e.getMessage());
    }

    @Test
    void rowsAreActivatedAndNormalisedAloneWhateverTheThreadCount() {
        SplittableRandom random = new SplittableRandom(5);
        try (WorkerPool p1 = WorkerPool.create(1); WorkerPool p3 = WorkerPool.create(3)) {
            for (int width : new int[] {1, 7, 16, 33, 100}) {
                int rows = 13;
                float[] x = Inputs.uniform(random, rows * width, 3), weight = Inputs.uniform(random, width, 1),
                        bias = Inputs.uniform(random, width, 1);
                float[] one = new float[x.length], three = new float[x.length], alone = new float[x.length];
                LayerNorm.rows(one, x, rows, weight, bias, 1e-5f, p1);
                LayerNorm.rows(three, x, rows, weight, bias, 1e-5f, p3);
                for (int t = 0; t < rows; t++) LayerNorm.apply(alone, t * width, x, t * width, weight, bias, 1e-5f);
                Closeness.sameArrays("LayerNorm.rows, 1 thread, width " + width, one, alone);
                Closeness.sameArrays("LayerNorm.rows, 3 threads, width " + width, three, alone);

                float[] a1 = x.clone(), a3 = x.clone(), aAlone = x.clone();
                Activation gelu = Activation.named("test", "gelu");
                gelu.applyRows(a1, rows, width, p1);
                gelu.applyRows(a3, rows, width, p3);
                for (int t = 0; t < rows; t++) GeluErf.apply(aAlone, t * width, width);
                Closeness.sameArrays("applyRows, width " + width, a1, aAlone);
                Closeness.sameArrays("applyRows, 3 threads, width " + width, a3, aAlone);
            }
        }
    }

    /** Patch (gy, gx) of image i, channel c, pixel (y, x) inside it: the Conv2d weight's (c, y, x) order. */
    @Test
    void unfoldingPlacesEveryPixelOfEveryPatchAsTheConvolutionReadsIt() {
        try (WorkerPool pool = WorkerPool.create(2)) {
            qt().withExamples(Inputs.examples(60)).forAll(integers().between(1, 3), integers().between(1, 4), integers().between(1, 5), longs().all())
                    .checkAssert((images, channels, patch, seed) -> {
                        int size = patch * (1 + new SplittableRandom(seed).nextInt(4)) + new SplittableRandom(seed ^ 1).nextInt(patch);
                        float[] pixels = Inputs.uniform(new SplittableRandom(seed), images * channels * size * size, 1);
                        float[] rows = PatchUnfold.apply(pixels, images, channels, size, patch, pool);
                        int side = size / patch, width = channels * patch * patch;
                        float[] expected = new float[images * side * side * width];
                        for (int i = 0; i < images; i++) {
                            for (int gy = 0; gy < side; gy++) {
                                for (int gx = 0; gx < side; gx++) {
                                    for (int c = 0; c < channels; c++) {
                                        for (int y = 0; y < patch; y++) {
                                            for (int x = 0; x < patch; x++) {
                                                expected[((i * side + gy) * side + gx) * width + (c * patch + y) * patch + x] =
                                                        pixels[((i * channels + c) * size + gy * patch + y) * size + gx * patch + x];
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        Closeness.sameArrays("unfold " + images + "x" + channels + "x" + size + " / " + patch, rows, expected);
                    });
            assertThrows(IllegalArgumentException.class, () -> PatchUnfold.apply(new float[10], 1, 1, 4, 2, pool));
        }
    }

    @Test
    void expandingAnglesRepeatsEachCosineAndSineInBothHalves() {
        float[] angles = {0f, 0.5f, -2f, 100f, 1e-3f, 3.1f};
        int k = 3;
        float[] cos = new float[2 * 2 * k], sin = new float[cos.length];
        for (int row = 0; row < 2; row++) RotaryTables.expand(angles, row * k, k, cos, sin, row * 2 * k);
        for (int row = 0; row < 2; row++) {
            for (int j = 0; j < k; j++) {
                double a = angles[row * k + j];
                for (int half = 0; half < 2; half++) {
                    int at = row * 2 * k + half * k + j;
                    Closeness.check("cos row " + row + " j " + j, cos[at], Math.cos(a), Closeness.U);
                    Closeness.check("sin row " + row + " j " + j, sin[at], Math.sin(a), Closeness.U);
                }
            }
        }
        // The same as the tables built from positions and inverse frequencies.
        float[] inv = RotaryTables.defaultInverseFrequencies(8, 10000);
        float[] byPosition = new float[8], byPositionSin = new float[8], expanded = new float[8], expandedSin = new float[8];
        RotaryTables.cosSin(inv, 7, 1f, byPosition, byPositionSin, 0);
        float[] a = new float[4];
        for (int j = 0; j < 4; j++) a[j] = 7f * inv[j];
        RotaryTables.expand(a, 0, 4, expanded, expandedSin, 0);
        Closeness.sameArrays("cos", expanded, byPosition);
        Closeness.sameArrays("sin", expandedSin, byPositionSin);
    }
}
