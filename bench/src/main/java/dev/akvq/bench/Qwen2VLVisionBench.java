package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.qwen2vl.ImageGrid;
import dev.akvq.model.qwen2vl.Qwen2VLMerger;
import dev.akvq.model.qwen2vl.Qwen2VLVisionTower;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.Qwen2VLVisionConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * Qwen2-VL's vision tower and patch merger at Qwen2-VL-2B's vision shape (depth 32, embed 1280,
 * 16 heads, mlp_ratio 4, patch 14, temporal patch 2, merge 2, merger output 1536) with random
 * BF16 weights in native memory (as mapped weights are; values do not change the speed). One
 * invocation encodes one image of {@code grid} patches (32x32 = a 448x448 image: 1024 patches,
 * 256 vision tokens); JMH's score is the invocation time, so vision patches per second =
 * patches / score. {@link #flops} counts 2 per multiply-add.
 *
 * <pre>
 * ./akvq bench Qwen2VLVisionBench -wi 2 -i 5 -f 1
 * ./akvq bench Qwen2VLVisionBench -p depth=1 -p grid=8x8 -wi 1 -i 1 -f 1 -r 1s -w 1s   (smoke)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Qwen2VLVisionBench {
    @Param({"32"})
    public int depth;

    @Param({"32x32"})
    public String grid;

    @Param({"1", "2"})
    public int threads;

    static final int EMBED = 1280, HEADS = 16, MERGED_HIDDEN = 1536;

    Arena arena;
    WorkerPool pool;
    Qwen2VLVisionTower tower;
    Qwen2VLMerger merger;
    List<ImageGrid> grids;
    float[] pixels;

    @Setup(Level.Trial)
    public void build() {
        Qwen2VLVisionConfig c = new Qwen2VLVisionConfig(depth, EMBED, MERGED_HIDDEN, "quick_gelu", 4.0, HEADS, 3, 14, 2, 2);
        String[] hw = grid.split("x");
        grids = List.of(new ImageGrid(1, Integer.parseInt(hw[0]), Integer.parseInt(hw[1])));
        arena = Arena.ofShared();
        pool = WorkerPool.create(threads);
        SplittableRandom r = new SplittableRandom(20261201);
        int e = c.embedDim(), mlp = c.mlpHiddenDim(), in = c.mergerInputDim();
        List<Qwen2VLVisionTower.Block> blocks = new ArrayList<>();
        for (int b = 0; b < depth; b++) {
            blocks.add(new Qwen2VLVisionTower.Block(ones(e), zeros(e), bf16(r, 3 * e, e), zeros(3 * e), bf16(r, e, e), zeros(e),
                    ones(e), zeros(e), bf16(r, mlp, e), zeros(mlp), bf16(r, e, mlp), zeros(e)));
        }
        tower = new Qwen2VLVisionTower(c, new Qwen2VLVisionTower.Weights(bf16(r, e, Qwen2VLVisionTower.patchWidth(c)), blocks), pool);
        merger = new Qwen2VLMerger(c, new Qwen2VLMerger.Weights(ones(e), zeros(e), bf16(r, in, in), zeros(in),
                bf16(r, MERGED_HIDDEN, in), zeros(MERGED_HIDDEN)), pool);
        pixels = new float[grids.get(0).patches() * Qwen2VLVisionTower.patchWidth(c)];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) r.nextGaussian();
        System.err.printf("Qwen2VLVisionBench: %d patches, %.1f GFLOP per image%n", grids.get(0).patches(), flops(c, grids.get(0)) / 1e9);
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] encodeImage() {
        return merger.forward(tower.forward(pixels, grids, Trace.NONE), Trace.NONE);
    }

    /**
     * Multiply-adds x 2 of one image: patch embedding, per block qkv, attention (q kᵀ and p v over
     * the frame), proj, fc1, fc2, then the merger's two linears per merged token.
     */
    public static double flops(Qwen2VLVisionConfig c, ImageGrid g) {
        double n = g.patches(), frame = (double) g.h() * g.w(), e = c.embedDim(), mlp = c.mlpHiddenDim(), in = c.mergerInputDim();
        double block = n * (3 * e * e + e * e + 2 * e * mlp) + 2 * n * frame * e;
        double merged = n / (c.spatialMergeSize() * c.spatialMergeSize());
        return 2 * (n * Qwen2VLVisionTower.patchWidth(c) * e + c.depth() * block + merged * (in * in + in * c.hiddenSize()));
    }

    /** A {@code [rows, cols]} BF16 matrix of N(0, 0.02) values in native memory. */
    private MatrixView bf16(SplittableRandom r, int rows, int cols) {
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        MemorySegment data = arena.allocate((long) rows * cols * 2);
        for (long i = 0; i < (long) rows * cols; i++) data.setAtIndex(u16, i, DType.f32ToBf16((float) (0.02 * r.nextGaussian())));
        return new MatrixView(DType.BF16, rows, cols, data);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static float[] zeros(int n) {
        return new float[n];
    }
}
