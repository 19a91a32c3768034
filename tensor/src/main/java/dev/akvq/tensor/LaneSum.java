package dev.akvq.tensor;

import jdk.incubator.vector.FloatVector;
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

    static {
        if (LANES > 16 || LANES < 2 || Integer.bitCount(LANES) != 1) {
            throw new IllegalStateException("LaneSum handles 2, 4, 8 or 16 float lanes, this JVM prefers " + LANES);
        }
    }

    /** Sum of all lanes of {@code v} in the fixed butterfly order. */
    public static float of(FloatVector v) {
        if (LANES >= 16) v = v.add(v.rearrange(XOR8));
        if (LANES >= 8) v = v.add(v.rearrange(XOR4));
        if (LANES >= 4) v = v.add(v.rearrange(XOR2));
        v = v.add(v.rearrange(XOR1));
        return v.lane(0);
    }
}
