package dev.akvq.bench;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The read bandwidth a Java kernel can reach: sums bytes {@code [from, to)} as float vectors with
 * four independent accumulators (the bytes' values do not matter), touching every byte once.
 */
final class MemoryRead {
    private MemoryRead() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static float sum(MemorySegment data, long from, long to) {
        long step = F.vectorByteSize();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long i = from;
        for (; i + 4 * step <= to; i += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, data, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, data, i + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, data, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, data, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        for (; i + step <= to; i += step) a0 = a0.add(FloatVector.fromMemorySegment(F, data, i, ByteOrder.LITTLE_ENDIAN));
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
