package dev.akvq.quant.kv;

import dev.akvq.quant.GroupQuantizer;
import dev.akvq.quant.KiviQuantizer;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.MultiQueryRows;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A quantized segment of akvq-kc (docs/akvq-vl.md, "Storage"): values per token as AKVQ-VL stores
 * them ({@link TokenGroupCodes}: groups of channels, FP16 scale, signed-byte zero point, the clip of
 * the segment's bit width), keys per channel as KIVI stores them ({@link ChannelKeyBlocks}: blocks
 * of {@code keyBlock} consecutive slots of this segment, an FP16 minimum and scale per channel and
 * block, {@link KiviQuantizer} without clipping). Until a block fills, its keys wait as FP16 rows
 * (the key residual, fewer than {@code keyBlock} slots); the slot that completes it quantizes the
 * block from those FP16 rows, which are what attention read while they waited.
 */
final class ChannelKeyRows implements QuantizedSegment {
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bits, kvHeads, headDim, keyBlock;
    private final ChannelKeyBlocks keys;
    private final TokenGroupCodes values;
    /** Per KV head: the FP16 keys of the block being filled, {@code [keyBlock, headDim]}, slot {@code s} at row {@code s mod keyBlock}. */
    private final MatrixView[] residual;
    /** Where {@link #residual} lives (its capacity is fixed). */
    private final CacheMemory residualMemory = new CacheMemory(this);
    private int size;

    /**
     * @param values   the values' quantizer (bits and clip), per token in groups of {@code group} channels
     * @param keyBlock slots per key block (KIVI: 32)
     */
    ChannelKeyRows(int bits, GroupQuantizer values, int kvHeads, int headDim, int group, int keyBlock) {
        if (keyBlock < 1 || values.bits() != bits) {
            throw new IllegalArgumentException("ChannelKeyRows: key block " + keyBlock + " (>= 1), values at " + values.bits()
                    + " bits for a " + bits + "-bit segment");
        }
        this.bits = bits;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keyBlock = keyBlock;
        this.keys = new ChannelKeyBlocks(new KiviQuantizer(bits), kvHeads, headDim, keyBlock);
        this.values = new TokenGroupCodes(values, kvHeads, headDim, group);
        this.residual = new MatrixView[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            residual[h] = new MatrixView(DType.F16, keyBlock, headDim, residualMemory.allocate((long) keyBlock * headDim * 2));
        }
    }

    @Override
    public void close() {
        residualMemory.close();
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public int add(float[] k, int kOffset, float[] v, int vOffset) {
        int slot = values.add(v, vOffset);
        size = slot + 1;
        long at = (long) (slot % keyBlock) * headDim;
        for (int h = 0; h < kvHeads; h++) {
            for (int i = 0; i < headDim; i++) residual[h].data().setAtIndex(F16_LE, at + i, Float.floatToFloat16(k[kOffset + h * headDim + i]));
        }
        if (size % keyBlock == 0) {
            // The block is full: quantize its keys per channel from the FP16 rows attention has been reading.
            float[][] rows = new float[keyBlock][kvHeads * headDim];
            for (int r = 0; r < keyBlock; r++) {
                for (int h = 0; h < kvHeads; h++) residual[h].copyRow(r, rows[r], h * headDim);
            }
            keys.quantizeBlock(size - keyBlock, rows, 0);
        }
        return slot;
    }

    @Override
    public void logits(int head, int first, int tokens, float[] q, int qOffset, int heads, float[] out, int outOffset, int outStride) {
        int end = first + tokens, quantizedTo = Math.min(end, keys.rows());
        if (first < quantizedTo) keys.logits(head, first, quantizedTo, q, qOffset, heads, out, outOffset, outStride);
        for (int s = Math.max(first, quantizedTo); s < end; s++) {
            MultiQueryRows.dots(residual[head], s % keyBlock, q, qOffset, headDim, heads, out, outOffset + s - first, outStride);
        }
    }

    @Override
    public void accumulateRun(int head, int first, int tokens, float[] p, int pOffset, int pStride, int heads, float[] acc) {
        values.accumulateRun(head, first, tokens, p, pOffset, pStride, heads, acc);
    }

    @Override
    public void decode(int head, int slot, boolean key, float[] out, int outOffset) {
        if (!key) {
            values.decode(head, slot, out, outOffset);
            return;
        }
        for (int c = 0; c < headDim; c++) {
            out[outOffset + c] = slot < keys.rows() ? keys.key(head, slot, c) : residual[head].get(slot % keyBlock, c);
        }
    }

    /**
     * Exact bytes: value codes, FP16 scales and byte zero points per token and group; key codes of the
     * full blocks, an FP16 scale and an FP16 minimum (in "zeros") per channel and block; the key
     * residual's FP16 rows (in "rows").
     */
    @Override
    public KvFootprint.Segment footprint(String name) {
        KvFootprint.Segment k = keys.footprint(name);
        long waiting = (long) (size - keys.rows()) * kvHeads * headDim * 2;
        return new KvFootprint.Segment(name, size, k.codeBytes() + values.codeBytes(), k.scaleBytes() + values.scaleBytes(),
                k.zeroBytes() + values.zeroBytes(), waiting);
    }
}
