package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.HeadRows;
import dev.akvq.quant.PackedCodes;
import dev.akvq.quant.PackedRun;
import dev.akvq.tensor.ThreadScratch;
import java.util.Arrays;

/**
 * One side (keys or values) of a segment quantized per token: per KV head and slot, {@code headDim/group}
 * groups of packed codes ({@link GroupQuantizer}), each group's FP16 scale and signed-byte zero point
 * (docs/akvq-vl.md, "Storage"). Attention reads the codes where they lie: a logit is
 * {@code Σ_g s_g Σ_{i∈g} qᵢ (cᵢ − z_g)}, a value adds {@code p s_g (cᵢ − z_g)} to the output.
 */
final class TokenGroupCodes {
    final GroupQuantizer quantizer;
    private final int kvHeads, headDim, group, groups, groupBytes, tokenBytes;
    private byte[][] codes, zeros;
    private short[][] scales;
    private int capacity = 16, size;

    TokenGroupCodes(GroupQuantizer quantizer, int kvHeads, int headDim, int group) {
        this.quantizer = quantizer;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = group;
        this.groups = headDim / group;
        this.groupBytes = quantizer.packedBytes(group);
        this.tokenBytes = groups * groupBytes;
        codes = new byte[kvHeads][capacity * tokenBytes];
        zeros = new byte[kvHeads][capacity * groups];
        scales = new short[kvHeads][capacity * groups];
    }

    int size() {
        return size;
    }

    /** Quantizes one token's row ({@code [kvHeads * headDim]}); returns its slot. */
    int add(float[] x, int offset) {
        if (size == capacity) grow();
        int slot = size++;
        for (int h = 0; h < kvHeads; h++) {
            for (int g = 0; g < groups; g++) {
                int gi = slot * groups + g;
                int p = quantizer.encode(x, offset + h * headDim + g * group, group, codes[h], slot * tokenBytes + g * groupBytes);
                scales[h][gi] = GroupQuantizer.scaleBits(p);
                zeros[h][gi] = (byte) GroupQuantizer.zero(p);
            }
        }
        return slot;
    }

    private void grow() {
        capacity *= 2;
        for (int h = 0; h < kvHeads; h++) {
            codes[h] = Arrays.copyOf(codes[h], capacity * tokenBytes);
            zeros[h] = Arrays.copyOf(zeros[h], capacity * groups);
            scales[h] = Arrays.copyOf(scales[h], capacity * groups);
        }
    }

    /** Tokens per piece of a run: the scratch of every head (and the piece's codes) stays in L1. */
    private static final int TILE = 256;

    /** Per thread: the dots or weights of one piece (at most {@code heads · TILE} floats), so decode allocates none per step. */
    private static final ThreadScratch SCRATCH = new ThreadScratch(1);

    private static float[] scratch(int floats) {
        return SCRATCH.get(0, floats);
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
                        PackedRun.withZeros(codes[head], slot0 * tokenBytes + g * groupBytes, tokenBytes, count, group, quantizer.bits(),
                                zeros[head], slot0 * groups + g, groups),
                        HeadRows.of(dots, 0, count, heads));
                for (int t = 0; t < count; t++) {
                    float s = Float.float16ToFloat(scales[head][(slot0 + t) * groups + g]);
                    for (int h = 0; h < heads; h++) out[o + h * outStride + t] += s * dots[h * count + t];
                }
            }
        }
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
                    float s = Float.float16ToFloat(scales[head][(slot0 + t) * groups + g]);
                    for (int h = 0; h < heads; h++) a[h * count + t] = p[pOffset + h * pStride + t0 + t] * s;
                }
                PackedCodes.accumulateRun(HeadRows.of(a, 0, count, heads),
                        PackedRun.withZeros(codes[head], slot0 * tokenBytes + g * groupBytes, tokenBytes, count, group, quantizer.bits(),
                                zeros[head], slot0 * groups + g, groups),
                        HeadRows.of(acc, g * group, headDim, heads));
            }
        }
    }

    /** One head's dequantized row of {@code slot} into {@code out[outOffset, +headDim)}. */
    void decode(int head, int slot, float[] out, int outOffset) {
        for (int g = 0; g < groups; g++) {
            int gi = slot * groups + g;
            int params = (scales[head][gi] & 0xFFFF) | ((zeros[head][gi] & 0xFF) << 16);
            quantizer.decode(codes[head], slot * tokenBytes + g * groupBytes, group, params, out, outOffset + g * group);
        }
    }

    /** Bytes of packed codes of {@code size} tokens, every head. */
    long codeBytes() {
        return (long) size * kvHeads * tokenBytes;
    }

    /** Bytes of FP16 scales (2 a group) of {@code size} tokens, every head. */
    long scaleBytes() {
        return 2L * size * kvHeads * groups;
    }

    /** Bytes of signed-byte zero points (1 a group) of {@code size} tokens, every head. */
    long zeroBytes() {
        return (long) size * kvHeads * groups;
    }
}
