package dev.akvq.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.Trace;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.SlidingWindow;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The decoder's attention runs one job per (token, KV head), each asking its store for the whole
 * group of query heads ({@code attendGroup}): the split over the pool must not change a bit. Random
 * GQA models (and sliding windows), every cache mode, prefill then decode: the traced attention
 * probabilities, prompt logits and decode logits on 1 thread equal those on 3.
 */
class GroupedAttentionThreadsTest {
    private static final WorkerPool ONE = WorkerPool.create(1), THREE = WorkerPool.create(3);

    /** Traced tensors by name. */
    private static final class Recorder implements Trace {
        final Map<String, float[]> tensors = new HashMap<>();

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void put(String name, float[] data, long... shape) {
            tensors.put(name, data.clone());
        }
    }

    private record Run(Map<String, float[]> traced, float[] promptLogits, float[] decodeLogits) {}

    private static Run run(long seed, Optional<SlidingWindow> window, WorkerPool pool, KvMode mode, int[] ids, int split) {
        LlamaDecoder d = CachedDecodeTest.randomModel(new SplittableRandom(seed), window, pool).decoder();
        LlamaSequence s = new LlamaSequence(d, KvCacheSettings.defaults(mode));
        Recorder trace = new Recorder();
        float[] normed = s.prefill(d.embed(Arrays.copyOf(ids, split)), CachedDecodeTest.text(split), trace);
        float[] prompt = d.allLogits(normed, split);
        float[] logits = new float[0];
        for (int t = split; t < ids.length; t++) logits = s.step(ids[t]);
        return new Run(trace.tensors, prompt, logits);
    }

    @Test
    void threadCountDoesNotChangeABit() {
        KvMode[] modes = {KvMode.FP32, KvMode.FP16, KvMode.RTN2, KvMode.KIVI2, KvMode.AKVQ};
        qt().withExamples(15).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Optional<SlidingWindow> window = r.nextInt(3) == 0 ? Optional.of(new SlidingWindow(2 + r.nextInt(5), 0)) : Optional.empty();
            var config = CachedDecodeTest.randomModel(new SplittableRandom(seed), window, ONE).config();
            KvMode mode = modes[r.nextInt(modes.length)];
            // 2-bit codes pack four channels a byte; AKVQ-VL's default key rotation needs a power-of-two head_dim.
            if (mode.ordinal() >= KvMode.RTN2.ordinal() && config.headDim() % 4 != 0) mode = KvMode.FP16;
            if (mode == KvMode.AKVQ && Integer.bitCount(config.headDim()) != 1) mode = KvMode.RTN2;
            int vocab = config.vocabSize();
            int n = 3 + r.nextInt(12), split = 2 + r.nextInt(n - 2);
            int[] ids = CachedDecodeTest.ids(r, n, vocab);
            KvMode m = mode;
            Run one = run(seed, window, ONE, m, ids, split), three = run(seed, window, THREE, m, ids, split);
            String what = "seed " + seed + " " + mode + " " + n + " tokens, split " + split;
            assertFalse(one.traced().keySet().stream().noneMatch(k -> k.startsWith("attn_probs.")), what + ": no attn_probs traced");
            assertEquals(one.traced().keySet(), three.traced().keySet(), what);
            for (String name : one.traced().keySet()) assertArrayEquals(one.traced().get(name), three.traced().get(name), what + ": " + name);
            assertArrayEquals(one.promptLogits(), three.promptLogits(), what + ": prompt logits");
            assertArrayEquals(one.decodeLogits(), three.decodeLogits(), what + ": decode logits");
        });
    }
}
