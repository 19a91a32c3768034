package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of AKVQ-VL stores of LLaVA-1.5-7B's shape (32 layers, 32 heads = 32 KV heads,
 * head_dim 128; layers 0-1 TSA) holding 4096 synthetic tokens, against the spec's formula: per
 * token, head and K or V, INT2 = 128/4 code bytes + one group's FP16 scale and byte zero = 35 B,
 * INT4 = 64 + 3 = 67 B, FP16 = 256 B. The prompt: 35 text tokens, 2880 vision tokens (five
 * 576-token tiles, LLaVA-1.6-style), then text; 15 planted massive activations make 15 pivots.
 */
class MemoryAccountingTest {
    static final int LAYERS = 32, HEADS = 32, HEAD_DIM = 128, TOKENS = 4096, HIDDEN = 4096, WINDOW = 128, PIVOTS = 15;
    static final int VISION_FROM = 35, VISION_TO = 35 + 2880;

    @Test
    void llava15ShapeMatchesTheSpecsFormula() {
        // Prefill over the quantized cache: no FP32 copy of the prompt (it holds no bytes after prefill either way).
        KvCacheSettings settings = KvCacheSettings.defaults(KvMode.AKVQ).withPrefillQuantized(true);
        SplittableRandom r = new SplittableRandom(1);
        int width = HEADS * HEAD_DIM;
        float[] residual = new float[TOKENS * HIDDEN];
        for (int i = 0; i < residual.length; i += 97) residual[i] = (float) r.nextGaussian();
        for (int p = 0; p < PIVOTS; p++) residual[(100 + 200 * p) * HIDDEN + 7] = 1000 + p;   // 15 tokens outside the window
        // Layers fill in parallel (each its own rows): 1G values to quantize.
        List<KvFootprint> layers = IntStream.range(0, LAYERS).parallel().mapToObj(l -> {
            SplittableRandom lr = new SplittableRandom(l);
            float[] k = new float[width], v = new float[width];
            KeyValueStore store = settings.newStore(l, HEADS, HEAD_DIM);
            store.beginPrefill(residual, TOKENS, HIDDEN);
            for (int t = 0; t < TOKENS; t++) {
                for (int i = 0; i < width; i += 1 + (i & 3)) {
                    k[i] = (float) lr.nextGaussian();
                    v[i] = (float) lr.nextGaussian();
                }
                Modality m = t >= VISION_FROM && t < VISION_TO ? Modality.VISION : Modality.TEXT;
                store.append(k, 0, v, 0, new CachedToken(t, m, false));
            }
            store.endPrefill();
            KvFootprint f = store.footprint();
            long int2, int4, fp16;
            if (l < 2) {                                  // TSA: text INT4, vision INT2, window FP16
                int2 = VISION_TO - VISION_FROM;
                int4 = TOKENS - WINDOW - int2;
                fp16 = WINDOW;
            } else {                                      // PSA: pivots and window FP16, the rest INT2
                int2 = TOKENS - WINDOW - PIVOTS;
                int4 = 0;
                fp16 = WINDOW + PIVOTS;
            }
            long expected = 2L * HEADS * (int2 * (HEAD_DIM / 4 + 3) + int4 * (HEAD_DIM / 2 + 3) + fp16 * HEAD_DIM * 2);
            assertEquals(expected, f.bytes(), "layer " + l + " bytes");
            assertEquals(expected, store.bytes(), "layer " + l + " bytes()");
            assertEquals(2L * HEADS * TOKENS * HEAD_DIM, f.values());
            assertEquals(int2, f.segments().get(0).tokens(), "layer " + l + " int2 tokens");
            assertEquals(2L * HEADS * int2 * 2, f.segments().get(0).scaleBytes(), "layer " + l + " int2 scales");
            return f;
        }).toList();
        KvFootprint all = KvFootprint.sum(layers);
        double bits = all.bitsPerValue();
        // (2 TSA layers x 412928 B + 30 PSA layers x 349926 B) per head, x 8 / (32 layers x 4096 x 128 x 2 values)
        double formula = (2 * 412928.0 + 30 * 349926.0) * 8 / (32.0 * TOKENS * HEAD_DIM * 2);
        assertEquals(formula, bits, 1e-9);
        System.out.printf(Locale.ROOT, "LLaVA-1.5-7B shape, 4096 tokens: %d B of KV cache, %.4f bits per value (FP16: %d B)%n%s%n",
                all.bytes(), bits, 2L * LAYERS * HEADS * TOKENS * HEAD_DIM * 2, all.describe("  "));
    }
}
