package dev.akvq.bench;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Quantize-on-append throughput of AKVQ-VL at decode (a PSA layer, 8 KV heads of head_dim 128,
 * default settings): each call appends one token to the FP16 window and quantizes the token that
 * leaves it to INT2 (K and V of every head, after the key rotation). A fresh store every 8192
 * tokens keeps memory bounded. Run: {@code ./akvq bench KvAppendBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KvAppendBench {
    KeyValueStore store;
    float[] k, v;
    int position;

    @Setup(Level.Iteration)
    public void fresh() {
        SplittableRandom r = new SplittableRandom(7);
        k = KvAttentionBench.gaussian(r, KvAttentionBench.KV_HEADS * KvAttentionBench.HEAD_DIM);
        v = KvAttentionBench.gaussian(r, KvAttentionBench.KV_HEADS * KvAttentionBench.HEAD_DIM);
        store = KvAttentionBench.newStore(KvMode.AKVQ);
        KvAttentionBench.prefill(store, 256, r);
        position = 256;
    }

    @Benchmark
    public int appendOneToken() {
        if (position == 8192) fresh();
        store.append(k, 0, v, 0, new CachedToken(position++, Modality.TEXT, true));
        return store.length();
    }
}
