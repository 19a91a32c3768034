package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * {@link LaneSum#of} is its scalar twin (the butterfly written out in float) bit for bit, and
 * {@link LaneSum#ofFour} is {@link LaneSum#of} of each argument bit for bit (every NaN counts as one
 * value, as {@link Closeness#same} has it: the JIT may swap an addition's operands, which picks
 * another NaN's payload), on values with the corner cases and NaNs of several payloads mixed in.
 */
class LaneSumTest {
    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    @Test
    void ofIsTheScalarButterflyAndOfFourIsOfPerArgument() {
        qt().withExamples(Inputs.examples(500)).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            double scale = Inputs.SCALES[random.nextInt(Inputs.SCALES.length)];
            float[][] a = new float[4][];
            FloatVector[] v = new FloatVector[4];
            for (int k = 0; k < 4; k++) {
                a[k] = Inputs.withCorners(random, F.length(), scale, random.nextBoolean());
                if (random.nextInt(4) == 0) a[k][random.nextInt(F.length())] = Float.intBitsToFloat(0x7FC0_0000 | random.nextInt(1 << 22));
                v[k] = FloatVector.fromArray(F, a[k], 0);
            }
            FloatVector four = LaneSum.ofFour(v[0], v[1], v[2], v[3]);
            for (int k = 0; k < 4; k++) {
                float of = LaneSum.of(v[k]);
                Closeness.same("of, argument " + k, of, butterfly(a[k]));
                Closeness.same("ofFour, argument " + k, four.lane(k * LaneSum.QUARTER), of);
            }
        });
    }

    @Test
    void theTwinCanFail() {
        float[] a = new float[F.length()];
        a[0] = 1e8f;
        a[1] = 1f;
        a[F.length() / 2] = -1e8f;
        // Left to right: (1e8 + 1) - 1e8 = 0 in float; the butterfly adds 1e8 and -1e8 first: 1.
        float sequential = 0;
        for (float x : a) sequential += x;
        assertEquals(0f, sequential);
        assertEquals(1f, butterfly(a));
        assertEquals(1f, LaneSum.of(FloatVector.fromArray(F, a, 0)));
    }

    /** Lane i plus lane i^step for step = half, ..., 1, then lane 0, in float, as {@link LaneSum#of} documents. */
    private static float butterfly(float[] lanes) {
        float[] v = lanes.clone();
        for (int step = v.length / 2; step >= 1; step /= 2) {
            float[] next = new float[v.length];
            for (int i = 0; i < v.length; i++) next[i] = v[i] + v[i ^ step];
            v = next;
        }
        return v[0];
    }
}
