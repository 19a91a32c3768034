package dev.akvq.quant;

import dev.akvq.tensor.LaneSum;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two kernels quantized attention is made of, reading a group of packed codes (the planar
 * layout of {@link GroupQuantizer}) without dequantising it:
 * <ul>
 *   <li>{@link #dot}: {@code Σᵢ wᵢ · (qᵢ − z)}, a logit over one group before its scale;</li>
 *   <li>{@link #accumulate}: {@code accᵢ += a · (qᵢ − z)}, one token's share of the weighted sum of
 *       values ({@code a = p · s}).</li>
 * </ul>
 * The zero point is subtracted from each code before it is multiplied (exactly: both are small
 * integers), rather than as {@code z Σ wᵢ} afterwards, which would cancel two large sums in float.
 * The vector forms widen one byte per float lane and extract each plane with a shift and a mask;
 * tails and groups narrower than the lanes run the scalar twins.
 */
public final class PackedCodes {
    private PackedCodes() {}

    private static final VectorSpecies<Float> F = QuantKernelMode.FLOAT;
    private static final VectorSpecies<Byte> B = QuantKernelMode.BYTE_FOR_FLOAT;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);

    /** {@code Σ_{i<n} w[wOffset + i] · (code_i − zero)} over a packed group of {@code n} codes of {@code bits}. */
    public static float dot(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        return QuantKernelMode.CODE_VECTORS ? dotVector(w, wOffset, codes, codeOffset, n, bits, zero)
                : dotScalar(w, wOffset, codes, codeOffset, n, bits, zero);
    }

    /** {@code acc[accOffset + i] += a · (code_i − zero)} for a packed group of {@code n} codes of {@code bits}. */
    public static void accumulate(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        if (QuantKernelMode.CODE_VECTORS) accumulateVector(a, codes, codeOffset, n, bits, zero, acc, accOffset);
        else accumulateScalar(a, codes, codeOffset, n, bits, zero, acc, accOffset);
    }

    static float dotScalar(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        float sum = 0;
        for (int m = 0; m < per; m++) {
            for (int j = 0; j < stride; j++) {
                sum += w[wOffset + m * stride + j] * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
        return sum;
    }

    static float dotVector(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        float[] out = new float[1];
        dotsVector(w, wOffset, 0, 1, null, 0, 0, zero, codes, codeOffset, 0, 1, n, bits, out, 0, 0, 0);
        return out[0];
    }

    /** Adds the products of byte columns {@code [from, stride)} of every plane to {@code sum}: the vector form's tail. */
    private static float dotTail(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero, int from, float sum) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        for (int m = 0; m < per; m++) {
            for (int j = from; j < stride; j++) {
                sum += w[wOffset + m * stride + j] * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
        return sum;
    }

    /**
     * The logits of several query heads against a run of packed rows: {@code out} head {@code h},
     * token {@code t} (at {@code out.offset + h·out.stride + t·out.step}) receives
     * {@code Σ_i w_h[i] · (code_{t,i} − z_t)}, with {@code w}'s head rows contiguous; each code byte
     * is loaded and unpacked once per block of four heads, and each logit is exactly {@link #dot}'s
     * result. One loop over the run keeps the unpacking and the four heads' FMAs in one compiled body.
     */
    public static void dotsRun(HeadRows w, PackedRun run, HeadRows out) {
        if (out.heads() != w.heads() || w.step() != 1) {
            throw new IllegalArgumentException("dotsRun: " + w.heads() + " query heads (step " + w.step() + ", must be 1), " + out.heads() + " out");
        }
        dotsRun(w.data(), w.offset(), w.stride(), w.heads(), run.zeros(), run.zeroOffset(), run.zeroStride(), run.zero(), run.codes(),
                run.offset(), run.rowStride(), run.tokens(), run.n(), run.bits(), out.data(), out.offset(), out.stride(), out.step());
    }

    /**
     * {@link #dotsRun(HeadRows, PackedRun, HeadRows)} over a run of {@code tokens} rows of one packed group, {@code rowStride} bytes
     * apart, with row {@code t}'s zero point {@code zeros[zOffset + t·zStride]} ({@code zero} for
     * every row when {@code zeros} is null):
     * {@code out[outOffset + h·headStride + t·tokenStride] = Σ_i w_h[i] · (code_{t,i} − z_t)}.
     * One loop over the run keeps the unpacking and the four heads' FMAs in one compiled body.
     */
    static void dotsRun(float[] w, int wOffset, int wStride, int heads, byte[] zeros, int zOffset, int zStride, int zero,
                               byte[] codes, int codeOffset, int rowStride, int tokens, int n, int bits,
                               float[] out, int outOffset, int headStride, int tokenStride) {
        if (QuantKernelMode.CODE_VECTORS) {
            dotsVector(w, wOffset, wStride, heads, zeros, zOffset, zStride, zero, codes, codeOffset, rowStride, tokens, n, bits,
                    out, outOffset, headStride, tokenStride);
            return;
        }
        for (int t = 0; t < tokens; t++) {
            int z = zeros == null ? zero : zeros[zOffset + t * zStride];
            for (int h = 0; h < heads; h++) {
                out[outOffset + h * headStride + t * tokenStride] = dotScalar(w, wOffset + h * wStride, codes, codeOffset + t * rowStride, n, bits, z);
            }
        }
    }

    static void dotsVector(float[] w, int wOffset, int wStride, int heads, byte[] zeros, int zOffset, int zStride, int zero,
                           byte[] codes, int codeOffset, int rowStride, int tokens, int n, int bits,
                           float[] out, int outOffset, int headStride, int tokenStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        for (int t = 0; t < tokens; t++) {
            int row = codeOffset + t * rowStride, zt = zeros == null ? zero : zeros[zOffset + t * zStride], o = outOffset + t * tokenStride;
            float z = zt;
            int h = 0;
            for (; h + 4 <= heads; h += 4) {
                int w0 = wOffset + h * wStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < vectorEnd; j += lanes) {
                    IntVector packed = bytes(codes, row + j);
                    for (int m = 0; m < per; m++) {
                        FloatVector c = plane(packed, bits, m, mask, z);
                        int at = m * stride + j;
                        a0 = c.fma(FloatVector.fromArray(F, w, w0 + at), a0);
                        a1 = c.fma(FloatVector.fromArray(F, w, w1 + at), a1);
                        a2 = c.fma(FloatVector.fromArray(F, w, w2 + at), a2);
                        a3 = c.fma(FloatVector.fromArray(F, w, w3 + at), a3);
                    }
                }
                out[o + h * headStride] = dotTail(w, w0, codes, row, n, bits, zt, vectorEnd, laneSum(a0, vectorEnd));
                out[o + (h + 1) * headStride] = dotTail(w, w1, codes, row, n, bits, zt, vectorEnd, laneSum(a1, vectorEnd));
                out[o + (h + 2) * headStride] = dotTail(w, w2, codes, row, n, bits, zt, vectorEnd, laneSum(a2, vectorEnd));
                out[o + (h + 3) * headStride] = dotTail(w, w3, codes, row, n, bits, zt, vectorEnd, laneSum(a3, vectorEnd));
            }
            for (; h < heads; h++) {
                int w0 = wOffset + h * wStride;
                FloatVector a0 = FloatVector.zero(F);
                for (int j = 0; j < vectorEnd; j += lanes) {
                    IntVector packed = bytes(codes, row + j);
                    for (int m = 0; m < per; m++) a0 = plane(packed, bits, m, mask, z).fma(FloatVector.fromArray(F, w, w0 + m * stride + j), a0);
                }
                out[o + h * headStride] = dotTail(w, w0, codes, row, n, bits, zt, vectorEnd, laneSum(a0, vectorEnd));
            }
        }
    }

    /**
     * The lanes' sum in {@link LaneSum}'s fixed order (not {@code reduceLanes}, whose order differs
     * between the interpreter and C2, so a logit would depend on when the JIT compiled this), or
     * exactly 0 when no whole vector was read (the scalar tail then is the whole dot).
     */
    private static float laneSum(FloatVector acc, int vectorEnd) {
        return vectorEnd > 0 ? LaneSum.of(acc) : 0f;
    }

    /**
     * {@code lanes} packed bytes from {@code codes[offset]}, sign-extended to int lanes once: x86 has
     * no byte shifts (a byte-lane shift is emulated), while int shifts are single instructions, and
     * the sign bits above bit 7 never reach a plane's mask.
     */
    static IntVector bytes(byte[] codes, int offset) {
        return (IntVector) ByteVector.fromArray(B, codes, offset).convertShape(VectorOperators.B2I, I, 0);
    }

    /** Plane {@code m} of widened packed bytes, as floats, minus the zero point: {@code (byte >> bits·m & mask) − z}. */
    static FloatVector plane(IntVector packed, int bits, int m, int mask, float z) {
        return ((FloatVector) packed.lanewise(VectorOperators.LSHR, bits * m).and(mask).convert(VectorOperators.I2F, 0)).sub(z);
    }

    static void accumulateScalar(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        for (int m = 0; m < per; m++) {
            for (int j = 0; j < stride; j++) {
                acc[accOffset + m * stride + j] += a * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
    }

    static void accumulateVector(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        accumulatesVector(new float[] {a}, 0, 0, 1, codes, codeOffset, n, bits, zero, acc, accOffset, 0);
    }

    /**
     * One token's value group into several heads' sums: {@code acc_h[i] += a_h · (code_i − zero)} for
     * every head {@code h} of {@code a} ({@code a_h} is head {@code h}'s element 0), each code byte
     * unpacked once for all heads. {@code row} is a one-row run with one zero point. Each head gets
     * exactly {@link #accumulate}'s result.
     */
    public static void accumulates(HeadRows a, PackedRun row, HeadRows acc) {
        if (row.tokens() != 1 || row.zeros() != null || a.heads() != acc.heads() || acc.step() != 1) {
            throw new IllegalArgumentException("accumulates: one row with one zero point (got " + row.tokens() + " rows"
                    + (row.zeros() != null ? ", per-row zeros" : "") + "), " + a.heads() + " heads of factors, " + acc.heads()
                    + " of sums (step " + acc.step() + ", must be 1)");
        }
        accumulates(a.data(), a.offset(), a.stride(), a.heads(), row.codes(), row.offset(), row.n(), row.bits(), row.zero(),
                acc.data(), acc.offset(), acc.stride());
    }

    private static void accumulates(float[] a, int aOffset, int aStride, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                                    float[] acc, int accOffset, int accStride) {
        if (QuantKernelMode.CODE_VECTORS) {
            accumulatesVector(a, aOffset, aStride, heads, codes, codeOffset, n, bits, zero, acc, accOffset, accStride);
        } else {
            for (int h = 0; h < heads; h++) accumulateScalar(a[aOffset + h * aStride], codes, codeOffset, n, bits, zero, acc, accOffset + h * accStride);
        }
    }

    static void accumulatesVector(float[] a, int aOffset, int aStride, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                                  float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        float z = zero;
        for (int j = 0; j < vectorEnd; j += lanes) {
            IntVector packed = bytes(codes, codeOffset + j);
            for (int m = 0; m < per; m++) {
                FloatVector c = plane(packed, bits, m, mask, z);
                for (int h = 0; h < heads; h++) {
                    int at = accOffset + h * accStride + m * stride + j;
                    c.fma(FloatVector.broadcast(F, a[aOffset + h * aStride]), FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
                }
            }
        }
        for (int h = 0; h < heads; h++) {
            float ah = a[aOffset + h * aStride];
            for (int m = 0; m < per; m++) {
                for (int j = vectorEnd; j < stride; j++) {
                    acc[accOffset + h * accStride + m * stride + j] += ah * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
                }
            }
        }
    }

    /**
     * Per-channel parameters applied to a query (KIVI's keys, one scale and zero per channel and
     * block of tokens): {@code w[wOffset + i] = q[qOffset + i] · scales[i]} for {@code i < n}, and
     * returns {@code Σ_i w_i · zeros[i]}, the zero point's share of every logit in the block.
     */
    public static float channelWeights(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        return QuantKernelMode.VECTOR ? channelWeightsVector(q, qOffset, scales, zeros, n, w, wOffset)
                : channelWeightsScalar(q, qOffset, scales, zeros, n, w, wOffset);
    }

    static float channelWeightsScalar(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        return channelWeightsTail(q, qOffset, scales, zeros, 0, n, w, wOffset, 0f);
    }

    static float channelWeightsVector(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        int upper = F.loopBound(n);
        float zeroTerm = 0;
        if (upper > 0) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector wi = FloatVector.fromArray(F, q, qOffset + i).mul(FloatVector.fromArray(F, scales, i));
                wi.intoArray(w, wOffset + i);
                acc = wi.fma(FloatVector.fromArray(F, zeros, i), acc);
            }
            zeroTerm = LaneSum.of(acc);
        }
        return channelWeightsTail(q, qOffset, scales, zeros, upper, n, w, wOffset, zeroTerm);
    }

    private static float channelWeightsTail(float[] q, int qOffset, float[] scales, float[] zeros, int from, int n, float[] w, int wOffset,
                                            float zeroTerm) {
        for (int i = from; i < n; i++) {
            w[wOffset + i] = q[qOffset + i] * scales[i];
            zeroTerm += w[wOffset + i] * zeros[i];
        }
        return zeroTerm;
    }

    /** Tokens of a run whose codes are re-read from L1 for each plane: 256 rows of 32 bytes = 8 KiB. */
    static final int RUN_TILE = 256;

    /**
     * A run of {@code tokens} consecutive rows of one packed group ({@code rowStride} bytes apart) into
     * several heads' value sums:
     * {@code acc[accOffset + h·accStride + i] += Σ_t a[aOffset + h·aStride + t] · (code_{t,i} − zeros[zOffset + t·zStride])}.
     * The sums of a block of 16 channels stay in registers over the run (four heads at a time, tiles
     * of {@link #RUN_TILE} tokens) instead of being loaded and stored per token; each head adds its
     * tokens in order, one FMA each, whatever the number of heads.
     */
    public static void accumulateRun(HeadRows a, PackedRun run, HeadRows acc) {
        if (acc.heads() != a.heads() || a.step() != 1 || acc.step() != 1) {
            throw new IllegalArgumentException("accumulateRun: " + a.heads() + " heads of weights, " + acc.heads() + " of sums (contiguous rows)");
        }
        if (run.zeros() == null) throw new IllegalArgumentException("accumulateRun: the rows' zero points are needed");
        accumulateRun(a.data(), a.offset(), a.stride(), a.heads(), run.zeros(), run.zeroOffset(), run.zeroStride(), run.codes(),
                run.offset(), run.rowStride(), run.tokens(), run.n(), run.bits(), acc.data(), acc.offset(), acc.stride());
    }

    static void accumulateRun(float[] a, int aOffset, int aStride, int heads, byte[] zeros, int zOffset, int zStride,
                              byte[] codes, int codeOffset, int rowStride, int tokens, int n, int bits,
                              float[] acc, int accOffset, int accStride) {
        if (QuantKernelMode.CODE_VECTORS) {
            accumulateRunVector(a, aOffset, aStride, heads, zeros, zOffset, zStride, codes, codeOffset, rowStride, tokens, n, bits,
                    acc, accOffset, accStride);
        } else {
            accumulateRunScalar(a, aOffset, aStride, heads, zeros, zOffset, zStride, codes, codeOffset, rowStride, tokens, n, bits,
                    acc, accOffset, accStride);
        }
    }

    static void accumulateRunScalar(float[] a, int aOffset, int aStride, int heads, byte[] zeros, int zOffset, int zStride,
                                    byte[] codes, int codeOffset, int rowStride, int tokens, int n, int bits,
                                    float[] acc, int accOffset, int accStride) {
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                accumulateScalar(a[aOffset + h * aStride + t], codes, codeOffset + t * rowStride, n, bits, zeros[zOffset + t * zStride],
                        acc, accOffset + h * accStride);
            }
        }
    }

    static void accumulateRunVector(float[] a, int aOffset, int aStride, int heads, byte[] zeros, int zOffset, int zStride,
                                    byte[] codes, int codeOffset, int rowStride, int tokens, int n, int bits,
                                    float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        for (int t0 = 0; t0 < tokens; t0 += RUN_TILE) {
            int t1 = Math.min(tokens, t0 + RUN_TILE);
            for (int j = 0; j < vectorEnd; j += lanes) {
                int first = 0;
                if (bits == 2) {
                    for (; first + 4 <= heads; first += 4) {
                        accumulateTile2(a, aOffset + first * aStride, aStride, zeros, zOffset, zStride, codes, codeOffset + j, rowStride, t0, t1,
                                stride, acc, accOffset + first * accStride + j, accStride);
                    }
                }
                for (int m = 0; m < per; m++) {
                    int h = first;
                    for (; h + 4 <= heads; h += 4) {
                        int a0 = aOffset + h * aStride, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
                        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                        for (int t = t0; t < t1; t++) {
                            FloatVector c = plane(bytes(codes, codeOffset + t * rowStride + j), bits, m, mask,
                                    zeros[zOffset + t * zStride]);
                            s0 = c.fma(FloatVector.broadcast(F, a[a0 + t]), s0);
                            s1 = c.fma(FloatVector.broadcast(F, a[a1 + t]), s1);
                            s2 = c.fma(FloatVector.broadcast(F, a[a2 + t]), s2);
                            s3 = c.fma(FloatVector.broadcast(F, a[a3 + t]), s3);
                        }
                        int at = accOffset + h * accStride + m * stride + j;
                        FloatVector.fromArray(F, acc, at).add(s0).intoArray(acc, at);
                        FloatVector.fromArray(F, acc, at + accStride).add(s1).intoArray(acc, at + accStride);
                        FloatVector.fromArray(F, acc, at + 2 * accStride).add(s2).intoArray(acc, at + 2 * accStride);
                        FloatVector.fromArray(F, acc, at + 3 * accStride).add(s3).intoArray(acc, at + 3 * accStride);
                    }
                    for (; h < heads; h++) {
                        int a0 = aOffset + h * aStride;
                        FloatVector s0 = FloatVector.zero(F);
                        for (int t = t0; t < t1; t++) {
                            FloatVector c = plane(bytes(codes, codeOffset + t * rowStride + j), bits, m, mask,
                                    zeros[zOffset + t * zStride]);
                            s0 = c.fma(FloatVector.broadcast(F, a[a0 + t]), s0);
                        }
                        int at = accOffset + h * accStride + m * stride + j;
                        FloatVector.fromArray(F, acc, at).add(s0).intoArray(acc, at);
                    }
                }
            }
        }
        // Byte columns past the last whole vector (groups narrower than the lanes): the scalar twin's loop.
        for (int t = 0; t < tokens && vectorEnd < stride; t++) {
            for (int h = 0; h < heads; h++) {
                float ah = a[aOffset + h * aStride + t];
                int z = zeros[zOffset + t * zStride], row = codeOffset + t * rowStride;
                for (int m = 0; m < per; m++) {
                    for (int jj = vectorEnd; jj < stride; jj++) {
                        acc[accOffset + h * accStride + m * stride + jj] += ah * (((codes[row + jj] >> (bits * m)) & mask) - z);
                    }
                }
            }
        }
    }

    /**
     * The 2-bit run tile for four heads and one vector of byte columns: each row's bytes are loaded,
     * widened and stripped of their zero point once for all four planes, into 16 accumulators
     * (plane x head). Each sum is the same FMA chain as {@link #accumulateRunVector}'s plane by plane.
     */
    private static void accumulateTile2(float[] a, int aOffset, int aStride, byte[] zeros, int zOffset, int zStride,
                                        byte[] codes, int codeOffset, int rowStride, int t0, int t1, int stride,
                                        float[] acc, int accOffset, int accStride) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int a1 = aOffset + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        for (int t = t0; t < t1; t++) {
            IntVector packed = bytes(codes, codeOffset + t * rowStride);
            float z = zeros[zOffset + t * zStride];
            FloatVector p0 = FloatVector.broadcast(F, a[aOffset + t]), p1 = FloatVector.broadcast(F, a[a1 + t]);
            FloatVector p2 = FloatVector.broadcast(F, a[a2 + t]), p3 = FloatVector.broadcast(F, a[a3 + t]);
            FloatVector c = plane(packed, 2, 0, 3, z);
            s00 = c.fma(p0, s00); s01 = c.fma(p1, s01); s02 = c.fma(p2, s02); s03 = c.fma(p3, s03);
            c = plane(packed, 2, 1, 3, z);
            s10 = c.fma(p0, s10); s11 = c.fma(p1, s11); s12 = c.fma(p2, s12); s13 = c.fma(p3, s13);
            c = plane(packed, 2, 2, 3, z);
            s20 = c.fma(p0, s20); s21 = c.fma(p1, s21); s22 = c.fma(p2, s22); s23 = c.fma(p3, s23);
            c = plane(packed, 2, 3, 3, z);
            s30 = c.fma(p0, s30); s31 = c.fma(p1, s31); s32 = c.fma(p2, s32); s33 = c.fma(p3, s33);
        }
        // The adds written out rather than through a helper: this method's 16 accumulators and 4 planes
        // use up C2's inlining budget (NodeCountInliningCutoff), a helper taking a vector would then stay
        // a call, and each vector passed to it would be boxed on the heap (1.6 KB a call); the Vector
        // API's own methods are inlined whatever the budget.
        int h1 = accOffset + accStride, h2 = h1 + accStride, h3 = h2 + accStride;
        int m1 = stride, m2 = 2 * stride, m3 = 3 * stride;
        FloatVector.fromArray(F, acc, accOffset).add(s00).intoArray(acc, accOffset);
        FloatVector.fromArray(F, acc, h1).add(s01).intoArray(acc, h1);
        FloatVector.fromArray(F, acc, h2).add(s02).intoArray(acc, h2);
        FloatVector.fromArray(F, acc, h3).add(s03).intoArray(acc, h3);
        FloatVector.fromArray(F, acc, accOffset + m1).add(s10).intoArray(acc, accOffset + m1);
        FloatVector.fromArray(F, acc, h1 + m1).add(s11).intoArray(acc, h1 + m1);
        FloatVector.fromArray(F, acc, h2 + m1).add(s12).intoArray(acc, h2 + m1);
        FloatVector.fromArray(F, acc, h3 + m1).add(s13).intoArray(acc, h3 + m1);
        FloatVector.fromArray(F, acc, accOffset + m2).add(s20).intoArray(acc, accOffset + m2);
        FloatVector.fromArray(F, acc, h1 + m2).add(s21).intoArray(acc, h1 + m2);
        FloatVector.fromArray(F, acc, h2 + m2).add(s22).intoArray(acc, h2 + m2);
        FloatVector.fromArray(F, acc, h3 + m2).add(s23).intoArray(acc, h3 + m2);
        FloatVector.fromArray(F, acc, accOffset + m3).add(s30).intoArray(acc, accOffset + m3);
        FloatVector.fromArray(F, acc, h1 + m3).add(s31).intoArray(acc, h1 + m3);
        FloatVector.fromArray(F, acc, h2 + m3).add(s32).intoArray(acc, h2 + m3);
        FloatVector.fromArray(F, acc, h3 + m3).add(s33).intoArray(acc, h3 + m3);
    }
}
