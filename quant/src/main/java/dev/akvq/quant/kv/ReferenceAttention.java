package dev.akvq.quant.kv;

import java.util.Arrays;

/**
 * The scalar twin every quantized store's attention is checked against: each token of
 * {@code [from, to)} decoded as the store holds it, then plain scaled dot-product attention in
 * double ({@code p = softmax(scale · K' q)}, {@code out = Σ_j p_j V'_j}).
 */
final class ReferenceAttention {
    private ReferenceAttention() {}

    /** One head's key ({@code key} true) or value of token {@code t}, decoded, into {@code out[0, headDim)}. */
    interface DecodedRows {
        void row(int head, int t, boolean key, float[] out);
    }

    static void attend(DecodedRows rows, int headDim, float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       double[] probabilities, double[] out) {
        float[] k = new float[headDim], v = new float[headDim];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            rows.row(kvHead, j, true, k);
            double s = 0;
            for (int i = 0; i < headDim; i++) s += (double) query[queryOffset + i] * k[i];
            probabilities[j - from] = s * scale;
            max = Math.max(max, probabilities[j - from]);
        }
        double sum = 0;
        for (int j = 0; j < to - from; j++) sum += probabilities[j] = Math.exp(probabilities[j] - max);
        Arrays.fill(out, 0, headDim, 0);
        for (int j = from; j < to; j++) {
            probabilities[j - from] /= sum;
            rows.row(kvHead, j, false, v);
            for (int i = 0; i < headDim; i++) out[i] += probabilities[j - from] * v[i];
        }
    }
}
