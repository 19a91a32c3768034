package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.HeadRows;
import dev.akvq.quant.PackedCodes;
import dev.akvq.quant.PackedRun;
import java.util.Arrays;

/**
 * Keys and values quantized per token and per head in groups of {@code group} channels at one bit
 * width (one segment of a store: INT2 or INT4), stored as packed codes, FP16 scales and signed-byte
 * zero points per head. Attention reads the codes directly: a logit is
 * {@code Σ_g s_g Σ_{i∈g} qᵢ (cᵢ − z_g)} and a value contributes {@code p s_g (cᵢ − z_g)} to the output.
 */
final class QuantizedRows {
    final GroupQuantizer quantizer;
    private final int kvHeads, headDim, group, groups, groupBytes, tokenBytes;
    private byte[][] keyCodes, valueCodes, keyZeros, valueZeros;
    private short[][] keyScales, valueScales;
    private int capacity = 16, size;

    QuantizedRows(GroupQuantizer quantizer, int kvHeads, int headDim, int group) {
        this.quantizer = quantizer;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = group;
        this.groups = headDim / group;
        this.groupBytes = quantizer.packedBytes(group);
        this.tokenBytes = groups * groupBytes;
        keyCodes = new byte[kvHeads][capacity * tokenBytes];
        valueCodes = new byte[kvHeads][capacity * tokenBytes];
        keyZeros = new byte[kvHeads][capacity * groups];
        valueZeros = new byte[kvHeads][capacity * groups];
        keyScales = new short[kvHeads][capacity * groups];
        valueScales = new short[kvHeads][capacity * groups];
    }

    int size() {
        return size;
    }

    /** Quantizes one token's rows ({@code [kvHeads * headDim]} each); returns its slot. */
    int add(float[] k, int kOffset, float[] v, int vOffset) {
        if (size == capacity) grow();
        int slot = size++;
        for (int h = 0; h < kvHeads; h++) {
            for (int g = 0; g < groups; g++) {
                int at = kOffset + h * headDim + g * group, gi = slot * groups + g;
                int p = quantizer.encode(k, at, group, keyCodes[h], slot * tokenBytes + g * groupBytes);
                keyScales[h][gi] = GroupQuantizer.scaleBits(p);
                keyZeros[h][gi] = (byte) GroupQuantizer.zero(p);
                p = quantizer.encode(v, vOffset + h * headDim + g * group, group, valueCodes[h], slot * tokenBytes + g * groupBytes);
                valueScales[h][gi] = GroupQuantizer.scaleBits(p);
                valueZeros[h][gi] = (byte) GroupQuantizer.zero(p);
            }
        }
        return slot;
    }

    private void grow() {
        capacity *= 2;
        for (int h = 0; h < kvHeads; h++) {
            keyCodes[h] = Arrays.copyOf(keyCodes[h], capacity * tokenBytes);
            valueCodes[h] = Arrays.copyOf(valueCodes[h], capacity * tokenBytes);
            keyZeros[h] = Arrays.copyOf(keyZeros[h], capacity * groups);
            valueZeros[h] = Arrays.copyOf(valueZeros[h], capacity * groups);
            keyScales[h] = Arrays.copyOf(keyScales[h], capacity * groups);
            valueScales[h] = Arrays.copyOf(valueScales[h], capacity * groups);
        }
    }

    /**
     * {@code out[outOffset + h·outStride + t] = q_h · k'(first + t)} for the {@code tokens} consecutive
     * slots from {@code first} and the {@code heads} queries {@code headDim} apart from {@code qOffset}:
     * group by group {@code s_g Σ q (c − z_g)} (the groups added in order from zero), each code byte
     * unpacked once for the heads.
     */
    void logits(int head, int first, int tokens, float[] q, int qOffset, int heads, float[] out, int outOffset, int outStride) {
        float[] dots = scratch(heads * Math.min(tokens, TILE));
        for (int t0 = 0; t0 < tokens; t0 += TILE) {
            int count = Math.min(TILE, tokens - t0), slot0 = first + t0, o = outOffset + t0;
            for (int h = 0; h < heads; h++) Arrays.fill(out, o + h * outStride, o + h * outStride + count, 0f);
            for (int g = 0; g < groups; g++) {
                PackedCodes.dotsRun(HeadRows.of(q, qOffset + g * group, headDim, heads),
                        PackedRun.withZeros(keyCodes[head], slot0 * tokenBytes + g * groupBytes, tokenBytes, count, group, quantizer.bits(),
                                keyZeros[head], slot0 * groups + g, groups),
                        HeadRows.of(dots, 0, count, heads));
                for (int t = 0; t < count; t++) {
                    float s = Float.float16ToFloat(keyScales[head][(slot0 + t) * groups + g]);
                    for (int h = 0; h < heads; h++) out[o + h * outStride + t] += s * dots[h * count + t];
                }
            }
        }
    }

    /** Tokens per piece of a run: the scratch of every head (and the piece's codes) stays in L1. */
    private static final int TILE = 256;

    /** Per thread: the dots or weights of one piece (at most {@code heads · TILE} floats), so decode allocates none per step. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    private static float[] scratch(int floats) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < floats) holder[0] = new float[floats];
        return holder[0];
    }

    /**
     * {@code acc_h += Σ_t p_h[t] · v'(first + t)} for the {@code tokens} consecutive slots from
     * {@code first} ({@code p[pOffset + h·pStride + t]}, {@code acc} rows {@code headDim} apart):
     * per group, {@code a = p s_g} per token and head, then one run kernel with the sums in registers.
     */
    void accumulateRun(int head, int first, int tokens, float[] p, int pOffset, int pStride, int heads, float[] acc) {
        float[] a = scratch(heads * Math.min(tokens, TILE));
        for (int t0 = 0; t0 < tokens; t0 += TILE) {
            int count = Math.min(TILE, tokens - t0), slot0 = first + t0;
            for (int g = 0; g < groups; g++) {
                for (int t = 0; t < count; t++) {
                    float s = Float.float16ToFloat(valueScales[head][(slot0 + t) * groups + g]);
                    for (int h = 0; h < heads; h++) a[h * count + t] = p[pOffset + h * pStride + t0 + t] * s;
                }
                PackedCodes.accumulateRun(HeadRows.of(a, 0, count, heads),
                        PackedRun.withZeros(valueCodes[head], slot0 * tokenBytes + g * groupBytes, tokenBytes, count, group, quantizer.bits(),
                                valueZeros[head], slot0 * groups + g, groups),
                        HeadRows.of(acc, g * group, headDim, heads));
            }
        }
    }

    /** One head's dequantized key or value row of {@code slot} into {@code out[outOffset, +headDim)}. */
    void decode(int head, int slot, boolean key, float[] out, int outOffset) {
        for (int g = 0; g < groups; g++) {
            int gi = slot * groups + g;
            short s = key ? keyScales[head][gi] : valueScales[head][gi];
            byte z = key ? keyZeros[head][gi] : valueZeros[head][gi];
            int params = (s & 0xFFFF) | ((z & 0xFF) << 16);
            quantizer.decode(key ? keyCodes[head] : valueCodes[head], slot * tokenBytes + g * groupBytes, group, params,
                    out, outOffset + g * group);
        }
    }

    /** Exact bytes of {@code size} tokens: codes, scales (2 B a group) and zero points (1 B a group), K and V, every head. */
    KvFootprint.Segment footprint(String name) {
        long perHead = 2L * size;    // K and V
        return new KvFootprint.Segment(name, size, perHead * kvHeads * tokenBytes, perHead * kvHeads * groups * 2L,
                perHead * kvHeads * groups, 0);
    }
}
