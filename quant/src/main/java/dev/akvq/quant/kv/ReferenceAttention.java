package dev.akvq.quant.kv;

import java.util.Arrays;

/**
 * The dequantize-and-attend twin of every store (docs/akvq-vl.md, "Attention"): the keys and values
 * as the store says attention sees them ({@link KeyValueStore#keysForTrace},
 * {@link KeyValueStore#valuesForTrace}: codes decoded, FP16 rows widened, rotated rows as stored),
 * then plain softmax attention in double. What a store's {@link KeyValueStore#attend} computes from
 * its codes directly must equal this within float rounding; the properties hold every store to it.
 */
final class ReferenceAttention {
    private ReferenceAttention() {}

    /**
     * One query head over tokens {@code [from, to)} of KV head {@code kvHead}; the query is the one
     * the store compares with its stored keys (a rotating store's caller rotates it first).
     *
     * @param probabilities receives {@code to − from} probabilities
     * @param out           receives the head's {@code headDim} outputs
     */
    static void attend(KeyValueStore store, float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       double[] probabilities, double[] out) {
        KeyValueStore.checkRange(from, to, store.length());
        int headDim = store.headDim(), length = store.length();
        float[] keys = store.keysForTrace(), values = store.valuesForTrace();
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            double s = 0;
            for (int i = 0; i < headDim; i++) s += (double) query[queryOffset + i] * keys[(kvHead * length + j) * headDim + i];
            probabilities[j - from] = s * scale;
            max = Math.max(max, probabilities[j - from]);
        }
        double sum = 0;
        for (int j = 0; j < to - from; j++) sum += probabilities[j] = Math.exp(probabilities[j] - max);
        Arrays.fill(out, 0, headDim, 0);
        for (int j = from; j < to; j++) {
            probabilities[j - from] /= sum;
            for (int i = 0; i < headDim; i++) out[i] += probabilities[j - from] * values[(kvHead * length + j) * headDim + i];
        }
    }
}
