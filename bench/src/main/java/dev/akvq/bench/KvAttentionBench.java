package dev.akvq.bench;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
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

/**
 * One decode step's attention over a long cache, on one thread: 32 query heads over 8 KV heads of
 * head_dim 128 (Llama-3-8B / Mistral-7B's GQA shape) and {@code tokens} cached tokens, for the
 * FP16 baseline, KIVI-2 and AKVQ-VL (a PSA layer, default settings: window 128, 15 pivots,
 * rotation on). The target: AKVQ-VL at most half FP16's time from 16K tokens, its cache being
 * ~6x smaller and the step memory-bound. {@link KvAppendBench} measures quantize-on-append.
 *
 * <p>Run: {@code ./akvq bench KvAttentionBench} (all sizes; JMH's defaults), or e.g.
 * {@code ./akvq bench KvAttentionBench -wi 3 -i 5 -f 1 -p tokens=16384}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KvAttentionBench {
    static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, PSA_LAYER = 2;

    @Param({"4096", "16384", "65536"})
    public int tokens;

    @Param({"fp16", "kivi2", "akvq"})
    public String mode;

    KeyValueStore store;
    float[] query, out, probabilities;
    float scale = (float) (1 / Math.sqrt(HEAD_DIM));

    @Setup(Level.Trial)
    public void fill() {
        store = newStore(KvMode.parse(mode));
        SplittableRandom r = new SplittableRandom(42);
        prefill(store, tokens, r);
        query = gaussian(r, QUERY_HEADS * HEAD_DIM);
        out = new float[QUERY_HEADS * HEAD_DIM];
        probabilities = new float[tokens];
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

    /** Every query head of one decode step over every cached token. */
    @Benchmark
    public float decodeStepAttention() {
        int group = QUERY_HEADS / KV_HEADS;
        for (int h = 0; h < QUERY_HEADS; h++) {
            store.attend(query, h * HEAD_DIM, h / group, 0, tokens, scale, probabilities, out, h * HEAD_DIM);
        }
        return out[0] + out[out.length - 1];
    }
}
