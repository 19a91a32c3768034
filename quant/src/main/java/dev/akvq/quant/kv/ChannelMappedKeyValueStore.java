package dev.akvq.quant.kv;

/**
 * A fixed per-head change of channel coordinates around any store, that leaves attention's result
 * unchanged and moves where quantization error falls:
 * <ul>
 *   <li>keys are divided channel-wise by {@code keyDivisor} and the query multiplied by it
 *       ({@code (q·s)(k/s)ᵀ = q kᵀ}: SmoothQuant's migration of key outliers into the query);</li>
 *   <li>keys and values are stored in a channel order ({@code keyOrder}, {@code valueOrder}); the
 *       query is put in the keys' order and the output back from the values' order (SKVQ's
 *       reordering, so that each group holds channels of similar range).</li>
 * </ul>
 * {@code keyOrder[h][i]} is the channel of head {@code h} stored at position {@code i}. The trace
 * views map back to the model's channels and scales, so they show what attention sees.
 */
public final class ChannelMappedKeyValueStore extends ForwardingKeyValueStore {
    private final int kvHeads, headDim;
    private final float[] keyDivisor;          // [kvHeads * headDim], by model channel
    private final int[][] keyOrder, valueOrder;
    private final float[] mappedKeys, mappedValues;

    public ChannelMappedKeyValueStore(KeyValueStore inner, float[] keyDivisor, int[][] keyOrder, int[][] valueOrder) {
        super(inner);
        this.kvHeads = inner.kvHeads();
        this.headDim = inner.headDim();
        if (keyDivisor.length != kvHeads * headDim || keyOrder.length != kvHeads || valueOrder.length != kvHeads) {
            throw new IllegalArgumentException("ChannelMappedKeyValueStore: divisors and orders must cover " + kvHeads + " heads x "
                    + headDim + " channels");
        }
        for (float s : keyDivisor) {
            if (!(s > 0) || !Float.isFinite(s)) throw new IllegalArgumentException("ChannelMappedKeyValueStore: a key divisor is " + s);
        }
        for (int h = 0; h < kvHeads; h++) {
            checkPermutation(keyOrder[h]);
            checkPermutation(valueOrder[h]);
        }
        this.keyDivisor = keyDivisor.clone();
        this.keyOrder = keyOrder;
        this.valueOrder = valueOrder;
        this.mappedKeys = new float[kvHeads * headDim];
        this.mappedValues = new float[kvHeads * headDim];
    }

    /** The identity order of every head. */
    public static int[][] identityOrder(int kvHeads, int headDim) {
        int[][] order = new int[kvHeads][headDim];
        for (int[] o : order) for (int i = 0; i < headDim; i++) o[i] = i;
        return order;
    }

    private void checkPermutation(int[] order) {
        boolean[] seen = new boolean[headDim];
        if (order.length != headDim) throw new IllegalArgumentException("channel order of " + order.length + ", head_dim " + headDim);
        for (int c : order) {
            if (c < 0 || c >= headDim || seen[c]) throw new IllegalArgumentException("channel order is not a permutation of 0.." + (headDim - 1));
            seen[c] = true;
        }
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        for (int h = 0; h < kvHeads; h++) {
            int base = h * headDim;
            for (int i = 0; i < headDim; i++) {
                int kc = base + keyOrder[h][i];
                mappedKeys[base + i] = keys[keysOffset + kc] / keyDivisor[kc];
                mappedValues[base + i] = values[valuesOffset + base + valueOrder[h][i]];
            }
        }
        inner.append(mappedKeys, 0, mappedValues, 0, token);
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        attendGroup(query, queryOffset, 1, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        if (kvHead < 0 || kvHead >= kvHeads) throw new IllegalArgumentException("attend: KV head " + kvHead + " of " + kvHeads);
        int base = kvHead * headDim;
        float[] q = new float[queryHeads * headDim], o = new float[queryHeads * headDim];
        for (int h = 0; h < queryHeads; h++) {
            for (int i = 0; i < headDim; i++) {
                int c = keyOrder[kvHead][i];
                q[h * headDim + i] = queries[queryOffset + h * headDim + c] * keyDivisor[base + c];
            }
        }
        inner.attendGroup(q, 0, queryHeads, kvHead, from, to, scale, probabilities, o, 0);
        for (int h = 0; h < queryHeads; h++) {
            for (int i = 0; i < headDim; i++) out[outOffset + h * headDim + valueOrder[kvHead][i]] = o[h * headDim + i];
        }
    }

    @Override
    public float[] keysForTrace() {
        float[] mapped = inner.keysForTrace(), out = new float[mapped.length];
        int length = inner.length();
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < length; t++) {
                int row = (h * length + t) * headDim;
                for (int i = 0; i < headDim; i++) {
                    int c = keyOrder[h][i];
                    out[row + c] = mapped[row + i] * keyDivisor[h * headDim + c];
                }
            }
        }
        return out;
    }

    @Override
    public float[] valuesForTrace() {
        float[] mapped = inner.valuesForTrace(), out = new float[mapped.length];
        int length = inner.length();
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < length; t++) {
                int row = (h * length + t) * headDim;
                for (int i = 0; i < headDim; i++) out[row + valueOrder[h][i]] = mapped[row + i];
            }
        }
        return out;
    }

    /** The divisors and orders are per layer and model, not per token: they are not counted per sequence. */
    @Override
    public KvFootprint footprint() {
        return inner.footprint();
    }
}
