package dev.akvq.quant.kv;

import dev.akvq.quant.HeadRows;
import dev.akvq.quant.KiviQuantizer;
import dev.akvq.quant.PackedCodes;
import dev.akvq.quant.PackedRun;
import dev.akvq.tensor.ThreadScratch;
import java.util.Arrays;

/**
 * Keys quantized per channel, as KIVI stores them (docs/akvq-vl.md, "Storage"): rows come in blocks
 * of {@code block}; per KV head, block and channel one group over the block's rows, with
 * {@link KiviQuantizer}'s FP16 minimum and FP16 scale; per row, one packed row of codes over all
 * {@code headDim} channels (planar layout). Used by {@link KiviKeyValueStore} (rows are tokens) and
 * {@link ChannelKeyRows} (rows are the slots of one akvq-kc segment).
 *
 * <p>Attention from the codes: for block {@code b}, {@code w_c = q_c s_bc}, and a logit is
 * {@code Σ_c w_c code_c + Σ_c q_c m_bc} (the minima folded into one term per block and head).
 */
final class ChannelKeyBlocks {
    private final KiviQuantizer quantizer;
    private final int kvHeads, headDim, block, rowBytes;
    /** Per head: rows of packed codes; per block and channel, FP16 scale and minimum. */
    private byte[][] codes;
    private short[][] scales, mins;
    private int rows;

    ChannelKeyBlocks(KiviQuantizer quantizer, int kvHeads, int headDim, int block) {
        this.quantizer = quantizer;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.block = block;
        this.rowBytes = quantizer.packedBytes(headDim);
        codes = new byte[kvHeads][0];
        scales = new short[kvHeads][0];
        mins = new short[kvHeads][0];
    }

    /** Rows quantized so far (whole blocks). */
    int rows() {
        return rows;
    }

    /**
     * Quantizes rows {@code [first, first + block)}, {@code first} a multiple of the block and at most
     * {@link #rows}: row {@code first + i} is {@code source[sourceRow + i]}, {@code [kvHeads * headDim]}.
     * Per head and channel, parameters over the block's values, then each row's packed codes.
     */
    void quantizeBlock(int first, float[][] source, int sourceRow) {
        if (first % block != 0 || first > rows) {
            throw new IllegalArgumentException("ChannelKeyBlocks: block from row " + first + " (block " + block + ", " + rows + " quantized)");
        }
        ensureCapacity(first + block);
        int b = first / block, per = quantizer.codesPerByte(), bits = quantizer.bits();
        int[] params = new int[headDim];
        for (int h = 0; h < kvHeads; h++) {
            for (int c = 0; c < headDim; c++) {
                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < block; i++) {
                    min = Math.min(min, source[sourceRow + i][h * headDim + c]);
                    max = Math.max(max, source[sourceRow + i][h * headDim + c]);
                }
                params[c] = quantizer.parameters(min, max);
                scales[h][b * headDim + c] = KiviQuantizer.scaleBits(params[c]);
                mins[h][b * headDim + c] = KiviQuantizer.minimumBits(params[c]);
            }
            for (int i = 0; i < block; i++) {
                for (int j = 0; j < rowBytes; j++) {
                    int packed = 0;
                    for (int m = 0; m < per; m++) {
                        int c = m * rowBytes + j;
                        packed |= quantizer.quantize(source[sourceRow + i][h * headDim + c], params[c]) << (bits * m);
                    }
                    codes[h][(first + i) * rowBytes + j] = (byte) packed;
                }
            }
        }
        rows = Math.max(rows, first + block);
    }

    /** Room for {@code count} rows, grown by doubling in whole blocks (the slack is not counted in {@link #footprint}). */
    private void ensureCapacity(int count) {
        int blocks = (count + block - 1) / block;
        if (codes[0].length >= count * rowBytes && scales[0].length >= blocks * headDim) return;
        int capacity = Math.max(count, 2 * codes[0].length / rowBytes);
        capacity = (capacity + block - 1) / block * block;
        for (int h = 0; h < kvHeads; h++) {
            codes[h] = Arrays.copyOf(codes[h], capacity * rowBytes);
            scales[h] = Arrays.copyOf(scales[h], capacity / block * headDim);
            mins[h] = Arrays.copyOf(mins[h], capacity / block * headDim);
        }
    }

    /**
     * {@code out[outOffset + h·outStride + r − from] = q_h · k'(r)} for the quantized rows {@code r ∈ [from, to)}
     * and the {@code heads} queries {@code headDim} apart from {@code queryOffset}, block by block.
     */
    void logits(int head, int from, int to, float[] queries, int queryOffset, int heads, float[] out, int outOffset, int outStride) {
        if (from < 0 || to > rows) throw new IllegalArgumentException("ChannelKeyBlocks: rows [" + from + ", " + to + ") of " + rows);
        // Each is written before it is read, block by block.
        float[] w = SCRATCH.get(0, heads * headDim), minTerms = SCRATCH.get(1, heads), dots = SCRATCH.get(2, heads * block);
        for (int b = from / block * block; b < to; b += block) {
            int params = b / block * headDim;
            for (int h = 0; h < heads; h++) {
                float minTerm = 0;
                for (int c = 0; c < headDim; c++) {
                    float q = queries[queryOffset + h * headDim + c];
                    w[h * headDim + c] = q * Float.float16ToFloat(scales[head][params + c]);
                    minTerm += q * Float.float16ToFloat(mins[head][params + c]);
                }
                minTerms[h] = minTerm;
            }
            int first = Math.max(b, from), count = Math.min(b + block, to) - first;
            // The minima were folded into minTerms: the codes are read with zero 0.
            PackedCodes.dotsRun(HeadRows.of(w, 0, headDim, heads),
                    PackedRun.withZero(codes[head], first * rowBytes, rowBytes, count, headDim, quantizer.bits(), 0),
                    HeadRows.of(dots, 0, block, heads));
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < count; t++) out[outOffset + h * outStride + first + t - from] = dots[h * block + t] + minTerms[h];
            }
        }
    }

    private static final ThreadScratch SCRATCH = new ThreadScratch(3);

    /** Channel {@code c} of head {@code head}'s key in quantized row {@code r}, as attention sees it. */
    float key(int head, int r, int c) {
        int gi = r / block * headDim + c;
        int code = quantizer.code(codes[head], r * rowBytes, headDim, c);
        return code * Float.float16ToFloat(scales[head][gi]) + Float.float16ToFloat(mins[head][gi]);
    }

    /** Exact bytes of the quantized rows: codes, and per block and channel an FP16 scale and an FP16 minimum (in "zeros"). */
    KvFootprint.Segment footprint(String name) {
        long h = kvHeads, blocks = rows / block;
        return new KvFootprint.Segment(name, rows, h * rows * rowBytes, h * blocks * headDim * 2, h * blocks * headDim * 2, 0);
    }
}
