package dev.akvq.bench;

import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
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

/** Prefill's linear layer: F32 {@code Y = X·Wᵀ}, 512 tokens x 2048 in x 2048 out (2·512·2048² flops per call). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatrixMatrixBench {
    public static final int TOKENS = 512, IN = 2048, OUT = 2048;
    public static final double FLOPS_PER_CALL = 2.0 * TOKENS * IN * OUT;

    @Param({"1", "2"})
    public int threads;

    MatrixView w;
    float[] x, y;
    WorkerPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        float[] weights = new float[OUT * IN];
        for (int i = 0; i < weights.length; i++) weights[i] = (float) Math.sin(i * 0.37) * 0.05f;
        w = MatrixView.ofFloats(OUT, IN, weights);
        x = new float[TOKENS * IN];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i * 0.11);
        y = new float[TOKENS * OUT];
        pool = WorkerPool.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float f32MatrixMatrix() {
        MatrixMatrix.multiplyTransposed(x, TOKENS, w, y, pool);
        return y[0];
    }
}
