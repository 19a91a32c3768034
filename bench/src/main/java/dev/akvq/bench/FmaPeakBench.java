package dev.akvq.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Peak FMA throughput of one core through the Vector API: 12 independent accumulator chains (more
 * than FMA latency x FMA ports on current x86, 4 x 2), no memory traffic. Run with JMH
 * {@code -t 1} and {@code -t 2} for one and two cores.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FmaPeakBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final int CHAINS = 12, STEPS = 100_000;

    /** Floating-point operations per call: 2 per FMA lane. */
    public static double flopsPerCall() {
        return 2.0 * CHAINS * STEPS * F.length();
    }

    public float b = 0.999f, c = 1e-4f;

    @Benchmark
    public float fmaChains() {
        FloatVector vb = FloatVector.broadcast(F, b), vc = FloatVector.broadcast(F, c);
        FloatVector a0 = FloatVector.broadcast(F, 1f), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3), a4 = a0.add(4), a5 = a0.add(5);
        FloatVector a6 = a0.add(6), a7 = a0.add(7), a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(vb, vc); a1 = a1.fma(vb, vc); a2 = a2.fma(vb, vc); a3 = a3.fma(vb, vc);
            a4 = a4.fma(vb, vc); a5 = a5.fma(vb, vc); a6 = a6.fma(vb, vc); a7 = a7.fma(vb, vc);
            a8 = a8.fma(vb, vc); a9 = a9.fma(vb, vc); a10 = a10.fma(vb, vc); a11 = a11.fma(vb, vc);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
