package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.WeightReader;
import dev.akvq.model.clip.ClipVisionTower;
import dev.akvq.model.layout.ArchitectureLayout;
import dev.akvq.model.layout.ExpectedTensor;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ClipVisionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The CLIP vision tower of LLaVA-1.5 (ViT-L/14 at 336 pixels: hidden 1024, MLP 4096, 16 heads,
 * 577 tokens) with random BF16 weights, written once as a safetensors file to
 * {@code -Dakvq.bench.dir} (default /tmp/akvq-bench) and memory-mapped as a real checkpoint is:
 * milliseconds per image through {@code layers} encoder layers (LLaVA-1.5 runs 23 of the 24).
 *
 * <p>FLOPs per image ({@link #flopsPerImage}), counting a multiply-add as 2: patch embedding
 * {@code 2·576·588·1024}, per layer {@code 2·577·(4·1024² + 2·1024·4096)} for the matrices and
 * {@code 2·2·577²·1024} for the scores and the weighted sums: 17.6 GFLOP per layer, 422 GFLOP
 * for 24 layers. GFLOP/s = that over the measured time; compare with {@link FmaPeakBench}.
 *
 * <pre>java -jar bench/target/benchmarks.jar ClipVisionTowerBench -p layers=24 -p threads=1,2</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ClipVisionTowerBench {
    private static final String PREFIX = "vision_tower.vision_model.";

    /** CLIP ViT-L/14-336 with {@code layers} encoder layers. */
    static ClipVisionConfig shape(int layers) {
        return new ClipVisionConfig(1024, 4096, 768, layers, 16, 3, 336, 14, "quick_gelu", 1e-5);
    }

    @Param({"24"})
    public int layers;

    @Param({"1", "2"})
    public int threads;

    WorkerPool pool;
    Checkpoint checkpoint;
    ClipVisionTower tower;
    float[] pixels;

    /** Floating-point operations of one image through the embeddings and {@code c.numHiddenLayers()} layers. */
    public static double flopsPerImage(ClipVisionConfig c) {
        double seq = c.numPatches() + 1, h = c.hiddenSize(), ffn = c.intermediateSize();
        double patch = 2.0 * c.numPatches() * c.numChannels() * c.patchSize() * c.patchSize() * h;
        double layer = 2 * seq * (4 * h * h + 2 * h * ffn) + 2 * 2 * seq * seq * h;
        return patch + c.numHiddenLayers() * layer;
    }

    @Setup(Level.Trial)
    public void load() throws IOException {
        ClipVisionConfig c = shape(layers);
        Path dir = Path.of(System.getProperty("akvq.bench.dir", "/tmp/akvq-bench"), "clip-vit-l14-336-tower-" + layers + "-layers");
        if (!Files.exists(dir.resolve("model.safetensors"))) write(c, dir);
        pool = WorkerPool.create(threads);
        checkpoint = Checkpoint.open(dir);
        tower = ClipVisionTower.load(WeightReader.of(checkpoint, ArchitectureLayout.clipVisionTower(c, PREFIX)), c, PREFIX, pool);
        SplittableRandom r = new SplittableRandom(336);
        pixels = new float[c.numChannels() * c.imageSize() * c.imageSize()];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (2 * r.nextDouble() - 1);
        System.err.printf("ClipVisionTowerBench: %d layers, %.1f GFLOP per image%n", layers, flopsPerImage(c) / 1e9);
    }

    @TearDown(Level.Trial)
    public void close() {
        checkpoint.close();
        pool.close();
    }

    @Benchmark
    public float[] oneImage() {
        return tower.hiddenStates(pixels, 1, List.of(layers), Trace.NONE).get(layers);
    }

    /** The tower's tensors under LLaVA's names, BF16: every tensor the layout declares for it, norm weights near 1. */
    static void write(ClipVisionConfig c, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<RandomCheckpoint.Tensor> t = new ArrayList<>();
        for (ExpectedTensor e : ArchitectureLayout.clipVisionTower(c, PREFIX)) {
            boolean normWeight = e.name().matches(".*(norm|layrnorm)\\d?\\.weight");
            t.add(new RandomCheckpoint.Tensor(e.name(), e.shape(), normWeight));
        }
        RandomCheckpoint.writeSafetensors(dir.resolve("model.safetensors"), t);
    }
}
