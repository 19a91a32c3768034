package dev.akvq.quant.kv;

/** A store that hands every call to an inner store; wrappers override what they change. */
abstract class ForwardingKeyValueStore implements KeyValueStore {
    protected final KeyValueStore inner;

    ForwardingKeyValueStore(KeyValueStore inner) {
        this.inner = inner;
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public int kvHeads() {
        return inner.kvHeads();
    }

    @Override
    public int headDim() {
        return inner.headDim();
    }

    @Override
    public int length() {
        return inner.length();
    }

    @Override
    public void beginPrefill(float[] residual, int tokens, int hidden) {
        inner.beginPrefill(residual, tokens, hidden);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        inner.append(keys, keysOffset, values, valuesOffset, token);
    }

    @Override
    public void endPrefill() {
        inner.endPrefill();
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        inner.attend(query, queryOffset, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        inner.attendGroup(queries, queryOffset, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    @Override
    public float[] keysForTrace() {
        return inner.keysForTrace();
    }

    @Override
    public float[] valuesForTrace() {
        return inner.valuesForTrace();
    }

    @Override
    public long bytes() {
        return inner.bytes();
    }

    @Override
    public KvFootprint footprint() {
        return inner.footprint();
    }
}
