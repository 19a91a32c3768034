package dev.akvq.quant.kv;

/**
 * An FP32 store that records, for {@code akvq calibrate}, the largest |key|, |value| and |query|
 * of each channel of its layer into a {@link KvChannelStatistics}; attention is the inner
 * store's, unchanged.
 */
public final class ChannelStatisticsRecorder extends ForwardingKeyValueStore {
    private final KvChannelStatistics statistics;
    private final int layer;

    public ChannelStatisticsRecorder(KeyValueStore inner, KvChannelStatistics statistics, int layer) {
        super(inner);
        this.statistics = statistics;
        this.layer = layer;
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        statistics.addKeysAndValues(layer, keys, keysOffset, values, valuesOffset);
        inner.append(keys, keysOffset, values, valuesOffset, token);
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        statistics.addQuery(layer, kvHead, query, queryOffset);
        inner.attend(query, queryOffset, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        for (int h = 0; h < queryHeads; h++) statistics.addQuery(layer, kvHead, queries, queryOffset + h * headDim());
        inner.attendGroup(queries, queryOffset, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
    }
}
