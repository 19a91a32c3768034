package dev.akvq.bench;

import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * Prefill's linear layer: F32 {@code Y = X·Wᵀ}, 512 tokens x 2048 in x 2048 out (2·512·2048² flops per call).
 * The weights live in native memory, as a mapped checkpoint's do: a heap-backed {@link MatrixView}
 * ({@code MatrixView.of}, a {@code byte[]} segment) widens each panel through a slower load path, and
 * at 128 tokens that made the whole product ~40% slower than on mapped weights (issue 13).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatrixMatrixBench {
    public static final int TOKENS = 512, IN = 2048, OUT = 2048;
    public static final double FLOPS_PER_CALL = 2.0 * TOKENS * IN * OUT;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    MatrixView w;
    float[] x, y;
    WorkerPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        MemorySegment weights = arena.allocate((long) OUT * IN * Float.BYTES, 64);
        for (int i = 0; i < OUT * IN; i++) weights.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (float) Math.sin(i * 0.37) * 0.05f);
        w = new MatrixView(DType.F32, OUT, IN, weights);
        x = new float[TOKENS * IN];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i * 0.11);
        y = new float[TOKENS * OUT];
        pool = WorkerPool.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float f32MatrixMatrix() {
        MatrixMatrix.multiplyTransposed(x, TOKENS, w, y, pool);
        return y[0];
    }
}
