package dev.akvq.model.llava;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.ModelDirectory;
import dev.akvq.model.Trace;
import dev.akvq.model.clip.ClipVisionTowerTest;
import dev.akvq.model.llama.CachedDecodeTest;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.ClipVisionConfig;
import dev.akvq.weights.config.LlavaConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * On random towers, feature layers and strategies: the image rows are the same bits whether the
 * images go through the tower one at a time, a few at a time or all at once, and with 1 or 3 threads.
 */
class LlavaModelTest {

    @Test
    void imageFeaturesDoNotDependOnTheBatchingOrTheThreadCount() {
        try (WorkerPool p1 = WorkerPool.create(1); WorkerPool p3 = WorkerPool.create(3)) {
            qt().withExamples(20).forAll(longs().all()).checkAssert(seed -> {
                SplittableRandom r = new SplittableRandom(seed);
                var tower = ClipVisionTowerTest.randomTower(r);
                ClipVisionConfig v = tower.config();
                var text = CachedDecodeTest.randomModel(r, Optional.empty());
                int states = v.numHiddenLayers() + 1;
                List<Integer> layers = r.nextBoolean() ? List.of(-1 - r.nextInt(states)) : List.of(r.nextInt(states), -1 - r.nextInt(states));
                String strategy = r.nextBoolean() ? "default" : "full";
                LlavaConfig config = new LlavaConfig(text.config(), v, "gelu", layers, strategy, 3, 16, true, OptionalInt.empty());
                int in = v.hiddenSize() * layers.size(), out = text.config().hiddenSize();
                LlavaModel[] models = new LlavaModel[2];
                int i = 0;
                for (WorkerPool pool : List.of(p1, p3)) {
                    SplittableRandom weights = new SplittableRandom(seed ^ 0x5DEECE66DL);
                    var projector = new LlavaProjector(ClipVisionTowerTest.m(weights, DType.F32, out, in), Optional.of(ClipVisionTowerTest.v(weights, out, 0.1)),
                            ClipVisionTowerTest.m(weights, DType.F32, out, out), Optional.of(ClipVisionTowerTest.v(weights, out, 0.1)), "gelu", pool);
                    models[i++] = new LlavaModel(new ModelDirectory(Path.of(".")), config, tower.on(pool), projector, text.decoder());
                }
                int images = 1 + r.nextInt(4);
                float[] pixels = ClipVisionTowerTest.v(r, images * models[0].pixelsPerImage(), 2);
                float[] all = models[0].imageFeatures(pixels, images, Trace.NONE, images);
                for (int perBatch = 1; perBatch <= images; perBatch++) {
                    assertArrayEquals(all, models[perBatch % 2].imageFeatures(pixels, images, Trace.NONE, perBatch),
                            perBatch + " per batch, layers " + layers + ", " + strategy);
                }
            });
        }
    }
}
