package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.VisionEncoderLayer;
import dev.akvq.model.idefics3.Idefics3VisionTower;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.SiglipVisionConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The Idefics3 vision tower at SmolVLM-256M's shape (vision_config of HuggingFaceTB/SmolVLM-256M-Instruct:
 * hidden 768, intermediate 3072, 12 layers, 12 heads, image 512, patch 16: 1024 patches a tile) on
 * one 512 x 512 tile, random BF16 weights N(0, 0.02) as {@link RandomCheckpoint} writes them (norms 1,
 * biases 0), off-heap like mapped weights. The score is vision tokens (patches) per second;
 * {@link #flopsPerTile} counts 2 per multiply-add of the patch embedding, the 12 layers' six linear
 * layers, and attention's q·k and p·v:
 *
 * <pre>
 * ./akvq bench Idefics3VisionBench        (then GFLOP/s = tokens/s / 1024 · flopsPerTile / 1e9 = tokens/s · 0.209)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Idefics3VisionBench {
    public static final SiglipVisionConfig SMOLVLM_256M =
            new SiglipVisionConfig("idefics3_vision", 768, 3072, 12, 12, 3, 512, 16, "gelu_pytorch_tanh", 1e-6);
    static final int PATCHES = 1024;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    WorkerPool pool;
    Idefics3VisionTower tower;
    float[] pixels;
    boolean[] mask;

    /** Floating-point operations of one tile through the tower (multiply-adds count 2). */
    public static double flopsPerTile(SiglipVisionConfig c) {
        double n = c.numPatches(), h = c.hiddenSize(), f = c.intermediateSize();
        double patch = 2 * n * h * c.numChannels() * c.patchSize() * c.patchSize();
        double linear = 2 * n * (4 * h * h + 2 * h * f);
        double attention = 2 * 2 * n * n * h;            // q·k and p·v over all heads
        return patch + c.numHiddenLayers() * (linear + attention);
    }

    @Setup(Level.Trial)
    public void setUp() {
        SiglipVisionConfig c = SMOLVLM_256M;
        arena = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(20241219);
        int h = c.hiddenSize(), f = c.intermediateSize();
        List<VisionEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new VisionEncoderLayer(ones(h), new float[h], bf16(h, h, random), new float[h],
                    bf16(h, h, random), new float[h], bf16(h, h, random), new float[h], bf16(h, h, random), new float[h],
                    ones(h), new float[h], bf16(f, h, random), new float[f], bf16(h, f, random), new float[h]));
        }
        var weights = new Idefics3VisionTower.Weights(bf16(h, 3 * 16 * 16, random), new float[h],
                bf16(c.numPatches(), h, random), layers, ones(h), new float[h]);
        pool = WorkerPool.create(threads);
        tower = new Idefics3VisionTower(c, weights, pool);
        pixels = new float[3 * 512 * 512];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (2 * random.nextDouble() - 1);
        mask = new boolean[c.numPatches()];
        Arrays.fill(mask, true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(PATCHES)
    public float oneTile() {
        return tower.forward(pixels, mask, 1, Trace.NONE)[0];
    }

    private MatrixView bf16(int rows, int cols, SplittableRandom random) {
        MemorySegment data = arena.allocate((long) rows * cols * 2, 64);
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < (long) rows * cols; i++) {
            data.setAtIndex(u16, i, DType.f32ToBf16((float) (0.02 * random.nextGaussian())));
        }
        return new MatrixView(DType.BF16, rows, cols, data);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }
}
