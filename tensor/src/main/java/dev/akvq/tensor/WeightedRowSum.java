package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[c] = Σ_r p[r] · V[r, c]}: the weighted sum of a matrix's rows, i.e. {@code pᵀ V}.
 * Attention uses it for {@code softmax(q Kᵀ) V} with the cached values {@code V} in their stored
 * dtype (F32 or F16), widened in registers.
 *
 * <p>Each output column accumulates its rows in row order with one FMA per row, in both forms,
 * so the vector form and the scalar twin agree bit for bit.
 */
public final class WeightedRowSum {
    private WeightedRowSum() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /** {@code out[outOffset + c] = Σ_r p[pOffset + r] · V[r, c]} over all rows and columns of {@code v}. */
    public static void sum(MatrixView v, float[] p, int pOffset, float[] out, int outOffset) {
        sum(v, p, pOffset, out, outOffset, KernelMode.VECTOR);
    }

    static void sum(MatrixView v, float[] p, int pOffset, float[] out, int outOffset, boolean vector) {
        Objects.checkFromIndexSize(pOffset, v.rows(), p.length);
        Objects.checkFromIndexSize(outOffset, v.cols(), out.length);
        int rows = v.rows(), cols = v.cols();
        int upper = vector ? F.loopBound(cols) : 0;
        for (int c = 0; c < upper; c += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < rows; r++) {
                long at = (long) r * cols + c;
                FloatVector row = switch (v.dtype()) {
                    case F32 -> WeightLanes.f32(v.data(), at);
                    case BF16 -> WeightLanes.bf16(v.data(), at);
                    default -> WeightLanes.f16(v.data(), at);
                };
                acc = row.fma(FloatVector.broadcast(F, p[pOffset + r]), acc);
            }
            acc.intoArray(out, outOffset + c);
        }
        for (int c = upper; c < cols; c++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) {
                acc = Math.fma(WeightLanes.scalar(v.dtype(), v.data(), (long) r * cols + c), p[pOffset + r], acc);
            }
            out[outOffset + c] = acc;
        }
    }
}
