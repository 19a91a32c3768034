package dev.akvq.bench;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * One decode step's attention over a long cache: 32 query heads over 8 KV heads of head_dim 128
 * (Llama-3-8B / Mistral-7B's GQA shape) and {@code tokens} cached tokens, for the FP16 baseline,
 * KIVI-2 and AKVQ-VL (a PSA layer, default settings: window 128, 15 pivots, rotation on), on
 * {@code threads} threads. The target: AKVQ-VL at most half FP16's time from 16K tokens, its
 * cache being ~6x smaller and the step memory-bound. {@link KvAppendBench} measures
 * quantize-on-append.
 * <ul>
 *   <li>{@link #decodeStepAttention}: as the decoder runs it, one {@code attendGroup} per KV head
 *       (its 4 query heads in one pass over its cache), the KV heads split over the pool;</li>
 *   <li>{@link #perHeadAttention}: one {@code attend} per query head (each KV head's cache read 4
 *       times), the query heads split over the pool: the form before the grouped one;</li>
 *   <li>{@link #memoryReadOfTheCacheBytes}: a plain vector read of as many bytes as the store holds
 *       ({@code store.bytes()}), split over the same threads: the memory bound for that size.</li>
 * </ul>
 *
 * <p>Run: {@code ./akvq bench KvAttentionBench} (all sizes; JMH's defaults), or e.g.
 * {@code ./akvq bench KvAttentionBench -wi 3 -i 5 -f 1 -p tokens=16384 -p threads=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KvAttentionBench {
    static final int QUERY_HEADS = 32, KV_HEADS = 8, GROUP = QUERY_HEADS / KV_HEADS, HEAD_DIM = 128, PSA_LAYER = 2;

    @Param({"4096", "16384", "65536"})
    public int tokens;

    @Param({"fp16", "kivi2", "akvq"})
    public String mode;

    @Param({"1", "2"})
    public int threads;

    KeyValueStore store;
    WorkerPool pool;
    float[] query, out;
    /** Per KV head (grouped form) or per query head: that job's probabilities. */
    float[][] probabilities;
    MemorySegment sameBytes;
    float scale = (float) (1 / Math.sqrt(HEAD_DIM));

    @Setup(Level.Trial)
    public void fill() {
        store = newStore(KvMode.parse(mode));
        SplittableRandom r = new SplittableRandom(42);
        prefill(store, tokens, r);
        query = gaussian(r, QUERY_HEADS * HEAD_DIM);
        out = new float[QUERY_HEADS * HEAD_DIM];
        probabilities = new float[QUERY_HEADS][GROUP * tokens];
        pool = WorkerPool.create(threads);
        sameBytes = Arena.ofAuto().allocate(store.bytes(), 64);
        for (long i = 0; i < sameBytes.byteSize(); i += 4096) sameBytes.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    static KeyValueStore newStore(KvMode mode) {
        return KvCacheSettings.defaults(mode).newStore(PSA_LAYER, KV_HEADS, HEAD_DIM);
    }

    /** A prompt of {@code n} tokens through the prefill lifecycle (rows vary token to token; a few massive activations). */
    static void prefill(KeyValueStore store, int n, SplittableRandom r) {
        int hidden = 64;
        float[] residual = gaussian(r, n * hidden);
        for (int p = 0; p < 15; p++) residual[r.nextInt(residual.length)] = 500;
        float[] base = gaussian(r, KV_HEADS * HEAD_DIM), k = new float[base.length], v = new float[base.length];
        store.beginPrefill(residual, n, hidden);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < base.length; i++) {
                k[i] = base[i] + (float) r.nextGaussian();
                v[i] = (float) r.nextGaussian();
            }
            store.append(k, 0, v, 0, new CachedToken(t, Modality.TEXT, false));
        }
        store.endPrefill();
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Every query head of one decode step over every cached token: one grouped pass per KV head. */
    @Benchmark
    public float decodeStepAttention() {
        pool.forRange(KV_HEADS, (start, end) -> {
            for (int kv = start; kv < end; kv++) {
                store.attendGroup(query, kv * GROUP * HEAD_DIM, GROUP, kv, 0, tokens, scale, probabilities[kv], out, kv * GROUP * HEAD_DIM);
            }
        });
        return out[0] + out[out.length - 1];
    }

    /** The same step one query head at a time (each KV head's cache read {@code GROUP} times). */
    @Benchmark
    public float perHeadAttention() {
        pool.forRange(QUERY_HEADS, (start, end) -> {
            for (int h = start; h < end; h++) {
                store.attend(query, h * HEAD_DIM, h / GROUP, 0, tokens, scale, probabilities[h], out, h * HEAD_DIM);
            }
        });
        return out[0] + out[out.length - 1];
    }

    /** A plain read of {@code store.bytes()} bytes over the same threads: the memory bound for the cache's size. */
    @Benchmark
    public float memoryReadOfTheCacheBytes() {
        float[] sums = new float[threads];
        long bytes = sameBytes.byteSize();
        pool.forRange(threads, (start, end) -> {
            for (int c = start; c < end; c++) sums[c] = MemoryRead.sum(sameBytes, bytes * c / threads, bytes * (c + 1) / threads);
        });
        return sums[0];
    }
}
