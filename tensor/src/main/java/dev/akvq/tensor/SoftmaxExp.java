package dev.akvq.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code exp(x)} for the {@code x ≤ 0} of an online softmax ({@code s − max}), in float, from
 * additions, multiplications and fused multiply-adds only, so that the Vector API form and the
 * scalar twin give the same bits, in the interpreter and in compiled code alike (the Vector API's
 * own {@code EXP} is a vendor library when compiled and {@link Math#exp} per lane before, which
 * differ in the last bit, and would make a row depend on which other rows shared its tile).
 *
 * <p>Cody and Waite's reduction (as Cephes' {@code expf}): {@code n = rint(x·log2 e)},
 * {@code r = x − n·ln 2} with {@code ln 2} split in two so {@code r} is nearly exact, then
 * {@code exp(r)} by its Taylor polynomial of degree 7 ({@code |r| ≤ ln 2 / 2}: truncation under
 * {@code 6·10⁻⁹} relative), times {@code 2ⁿ} built from the exponent bits. Within 2 ulp of the exact
 * exponential (the property test checks it against {@link Math#exp} in double). Results below
 * {@code 2⁻¹²⁶} ({@code x < −87.34}) are 0: a softmax row's largest term is 1, so a flushed term
 * moves its sum by less than {@code 2⁻¹²⁶}. {@code −∞} gives 0, NaN gives NaN; {@code x > 0} is
 * outside the domain (a softmax never asks for it).
 */
final class SoftmaxExp {
    private SoftmaxExp() {}

    /** Below this, {@code exp(x) < 2⁻¹²⁶}: the result is 0. */
    static final float LOWEST = -87.33654f;
    private static final float LOG2E = 1.44269504f;
    /** 1.5·2²³: adding and subtracting it rounds a float below 2²² in magnitude to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| ≤ 2¹⁵. */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    static FloatVector vector(FloatVector x) {
        var species = x.species();
        FloatVector xc = x.max(LOWEST);                                    // NaN stays NaN
        FloatVector n = xc.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(species, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(species, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(species, C7).fma(r, FloatVector.broadcast(species, C6));
        p = p.fma(r, FloatVector.broadcast(species, C5));
        p = p.fma(r, FloatVector.broadcast(species, C4));
        p = p.fma(r, FloatVector.broadcast(species, C3));
        p = p.fma(r, FloatVector.broadcast(species, C2));
        FloatVector one = FloatVector.broadcast(species, 1f);
        p = p.fma(r, one).fma(r, one);
        FloatVector twoToN = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(twoToN).blend(0f, x.lt(LOWEST));
    }

    static float scalar(float x) {
        float xc = Math.max(x, LOWEST);
        float n = (xc * LOG2E + ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(C7, r, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float twoToN = Float.intBitsToFloat(((int) n + 127) << 23);
        return x < LOWEST ? 0f : p * twoToN;
    }
}
