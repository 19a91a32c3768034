package dev.akvq.quant.kv;

/**
 * A segment of quantized tokens of {@link MixedPrecisionKeyValueStore} (docs/akvq-vl.md, "Storage"):
 * tokens take slots 0, 1, 2, ... in the order they arrive, and attention reads runs of consecutive
 * slots straight from their codes. {@link QuantizedRows} quantizes keys and values per token;
 * {@link ChannelKeyRows} keys per channel over blocks of slots, values per token.
 */
interface QuantizedSegment {

    /** The bit width of its codes. */
    int bits();

    /** Stores one token's rows ({@code [kvHeads * headDim]} each); returns its slot. */
    int add(float[] k, int kOffset, float[] v, int vOffset);

    /**
     * {@code out[outOffset + h·outStride + t] = q_h · k'(first + t)} for the {@code tokens} consecutive
     * slots from {@code first} and the {@code heads} queries {@code headDim} apart from {@code qOffset}.
     */
    void logits(int head, int first, int tokens, float[] q, int qOffset, int heads, float[] out, int outOffset, int outStride);

    /**
     * {@code acc_h += Σ_t p_h[t] · v'(first + t)} for the {@code tokens} consecutive slots from {@code first}
     * ({@code p[pOffset + h·pStride + t]}, {@code acc} rows {@code headDim} apart).
     */
    void accumulateRun(int head, int first, int tokens, float[] p, int pOffset, int pStride, int heads, float[] acc);

    /** One head's key (or value) of {@code slot} as attention sees it, into {@code out[outOffset, +headDim)}. */
    void decode(int head, int slot, boolean key, float[] out, int outOffset);

    /** The exact bytes of its tokens, named {@code name}. */
    KvFootprint.Segment footprint(String name);

    /** Frees its off-heap memory (the store was closed); one whose memory is all on the heap does nothing. */
    default void close() {}
}
