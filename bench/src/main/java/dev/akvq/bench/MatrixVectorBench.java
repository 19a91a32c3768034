package dev.akvq.bench;

import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixVector;
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

/**
 * Decode's linear layer: BF16 matrix-vector products over matrices that are not in cache (each
 * call takes the next of the many matrices laid end to end in a {@link WeightBuffer}), and, in the
 * same run, {@link #memoryRead} (a Vector API sum over the same bytes in the same rotation): the
 * bandwidth the product should approach. KernelReport turns both into GB/s of weight bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MatrixVectorBench {

    /** rows x cols of the BF16 matrix (Llama-7B's attention projection and a wide MLP shape). */
    @Param({"4096x4096", "2048x8192"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    WeightBuffer buffer;
    MatrixView[] matrices;
    WorkerPool pool;
    float[] x, out;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]), cols = Integer.parseInt(dims[1]);
        long bytes = (long) rows * cols * DType.BF16.size;
        buffer = new WeightBuffer(WeightBuffer.DEFAULT_BYTES);
        matrices = new MatrixView[(int) (buffer.data.byteSize() / bytes)];
        for (int m = 0; m < matrices.length; m++) {
            matrices[m] = new MatrixView(DType.BF16, rows, cols, buffer.data.asSlice(m * bytes, bytes));
        }
        pool = WorkerPool.create(threads);
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) Math.sin(i);
        out = new float[rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        buffer.close();
    }

    /** Bytes of weights one call reads. */
    public static long bytesPerCall(String shape) {
        String[] dims = shape.split("x");
        return Long.parseLong(dims[0]) * Long.parseLong(dims[1]) * DType.BF16.size;
    }

    @Benchmark
    public float bf16MatrixVector() {
        MatrixView w = matrices[next];
        next = next + 1 == matrices.length ? 0 : next + 1;
        MatrixVector.multiply(w, x, out, pool);
        return out[0];
    }

    @Benchmark
    public float memoryRead() {
        MatrixView w = matrices[next];
        next = next + 1 == matrices.length ? 0 : next + 1;
        float[] partial = new float[threads];
        int rows = w.rows();
        long rowBytes = (long) w.cols() * DType.BF16.size;
        pool.forRange(threads, (start, end) -> {
            for (int t = start; t < end; t++) {
                long from = WorkerPoolChunks.start(rows, threads, t) * rowBytes;
                long to = WorkerPoolChunks.start(rows, threads, t + 1) * rowBytes;
                partial[t] = MemoryRead.sum(w.data(), from, to);
            }
        });
        float s = 0;
        for (float p : partial) s += p;
        return s;
    }
}
