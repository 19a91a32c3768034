package dev.akvq.bench;

import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
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

    /**
     * One read of every matrix (rank-2 tensor) of {@code checkpoint}, each split into 64 chunks over
     * {@code pool}'s threads as decode splits rows: the bound of a decode step that reads them all.
     */
    static float sumMatrices(Checkpoint checkpoint, WorkerPool pool) {
        float[] sums = new float[64];
        for (SafetensorsFile file : checkpoint.files()) {
            for (WeightTensor t : file.tensors()) {
                if (t.rank() != 2) continue;
                long size = t.byteSize(), chunk = (size + 63) / 64 / 64 * 64 + 64;
                pool.forRange(64, (start, end) -> {
                    for (int c = start; c < end; c++) {
                        long from = Math.min(size, c * chunk), to = Math.min(size, from + chunk);
                        sums[c] += sum(t.data(), from, to);
                    }
                });
            }
        }
        return sums[0] + sums[63];
    }

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
