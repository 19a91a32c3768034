package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;

/**
 * Keys and values quantized per token and per head in groups of {@code group} channels at one bit
 * width (a segment of {@link MixedPrecisionKeyValueStore}: INT2 or INT4): one {@link TokenGroupCodes}
 * for each side, the same slot in both. Attention reads the codes directly: a logit is
 * {@code Σ_g s_g Σ_{i∈g} qᵢ (cᵢ − z_g)} and a value contributes {@code p s_g (cᵢ − z_g)} to the output.
 */
final class QuantizedRows implements QuantizedSegment {
    private final TokenGroupCodes keys, values;

    QuantizedRows(GroupQuantizer quantizer, int kvHeads, int headDim, int group) {
        this.keys = new TokenGroupCodes(quantizer, kvHeads, headDim, group);
        this.values = new TokenGroupCodes(quantizer, kvHeads, headDim, group);
    }

    @Override
    public int bits() {
        return keys.quantizer.bits();
    }

    @Override
    public int add(float[] k, int kOffset, float[] v, int vOffset) {
        int slot = keys.add(k, kOffset);
        values.add(v, vOffset);
        return slot;
    }

    @Override
    public void logits(int head, int first, int tokens, float[] q, int qOffset, int heads, float[] out, int outOffset, int outStride) {
        keys.logits(head, first, tokens, q, qOffset, heads, out, outOffset, outStride);
    }

    @Override
    public void accumulateRun(int head, int first, int tokens, float[] p, int pOffset, int pStride, int heads, float[] acc) {
        values.accumulateRun(head, first, tokens, p, pOffset, pStride, heads, acc);
    }

    @Override
    public void decode(int head, int slot, boolean key, float[] out, int outOffset) {
        (key ? keys : values).decode(head, slot, out, outOffset);
    }

    /** Exact bytes of its tokens: codes, scales (2 B a group) and zero points (1 B a group), K and V, every head. */
    @Override
    public KvFootprint.Segment footprint(String name) {
        return new KvFootprint.Segment(name, keys.size(), keys.codeBytes() + values.codeBytes(), keys.scaleBytes() + values.scaleBytes(),
                keys.zeroBytes() + values.zeroBytes(), 0);
    }
}
