package dev.akvq.tensor;

import java.util.function.IntPredicate;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sum of the lanes of a float vector in one fixed order: a butterfly that adds lane i to lane
 * i^half, then i^(half/2), ... down to i^1, and reads lane 0.
 *
 * <p>Why not {@code reduceLanes(ADD)}: its javadoc lets the order vary, and the interpreter's
 * fallback (a sequential loop) and C2's intrinsic do differ. A row computed once while a method is
 * still interpreted and once after it is compiled could then differ in the last bit, and "the same
 * for any thread count" would only hold by luck. The butterfly is made of lanewise adds, which are
 * exact IEEE operations in every execution mode.
 */
public final class LaneSum {
    private LaneSum() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    private static final int LANES = F.length();
    // One shuffle per butterfly step; a step wider than the vector is skipped (null).
    private static final VectorShuffle<Float> XOR8 = LANES >= 16 ? VectorShuffle.fromOp(F, i -> i ^ 8) : null;
    private static final VectorShuffle<Float> XOR4 = LANES >= 8 ? VectorShuffle.fromOp(F, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> XOR2 = LANES >= 4 ? VectorShuffle.fromOp(F, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(F, i -> i ^ 1);
    /** Lanes i^(LANES/2) and i^(LANES/4), and the lanes whose index has that bit set (for {@link #ofFour}). */
    private static final VectorShuffle<Float> XOR_HALF = VectorShuffle.fromOp(F, i -> i ^ (LANES / 2));
    private static final VectorShuffle<Float> XOR_QUARTER = VectorShuffle.fromOp(F, i -> i ^ (LANES / 4));
    private static final VectorMask<Float> UPPER_HALF = lanesWhere(i -> (i & (LANES / 2)) != 0);
    private static final VectorMask<Float> ODD_QUARTERS = lanesWhere(i -> (i & (LANES / 4)) != 0);

    /** Lane {@code k · QUARTER} of {@link #ofFour}'s result is the sum of its {@code k}-th argument. */
    public static final int QUARTER = LANES / 4;

    static {
        if (LANES > 16 || LANES < 4 || Integer.bitCount(LANES) != 1) {
            throw new IllegalStateException("LaneSum handles 4, 8 or 16 float lanes, this JVM prefers " + LANES);
        }
    }

    private static VectorMask<Float> lanesWhere(IntPredicate lane) {
        boolean[] set = new boolean[LANES];
        for (int i = 0; i < LANES; i++) set[i] = lane.test(i);
        return VectorMask.fromArray(F, set, 0);
    }

    /** Sum of all lanes of {@code v} in the fixed butterfly order. */
    public static float of(FloatVector v) {
        if (LANES >= 16) v = v.add(v.rearrange(XOR8));
        if (LANES >= 8) v = v.add(v.rearrange(XOR4));
        if (LANES >= 4) v = v.add(v.rearrange(XOR2));
        v = v.add(v.rearrange(XOR1));
        return v.lane(0);
    }

    /**
     * The sums of four vectors, bit for bit {@link #of} of each, at lanes {@code 0}, {@link #QUARTER},
     * {@code 2·QUARTER} and {@code 3·QUARTER} of the result. The first two butterfly steps each serve
     * two vectors at once (the halves of {@code a0} and {@code a2}, and of {@code a1} and {@code a3},
     * side by side, then four quarters), so four sums cost 8 lane permutations instead of 16, and each
     * addition keeps {@link #of}'s operands (lane j and lane j + step of the same vector).
     */
    public static FloatVector ofFour(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        // Step i^(LANES/2): a0's sums in the lower half, a2's in the upper; a1 and a3 likewise.
        FloatVector s02 = a0.blend(a2.rearrange(XOR_HALF), UPPER_HALF).add(a0.rearrange(XOR_HALF).blend(a2, UPPER_HALF));
        FloatVector s13 = a1.blend(a3.rearrange(XOR_HALF), UPPER_HALF).add(a1.rearrange(XOR_HALF).blend(a3, UPPER_HALF));
        // Step i^(LANES/4): one quarter each, in the order a0, a1, a2, a3.
        FloatVector v = s02.blend(s13.rearrange(XOR_QUARTER), ODD_QUARTERS).add(s02.rearrange(XOR_QUARTER).blend(s13, ODD_QUARTERS));
        // The remaining steps stay inside each quarter.
        if (LANES >= 16) v = v.add(v.rearrange(XOR2));
        if (LANES >= 8) v = v.add(v.rearrange(XOR1));
        return v;
    }
}
