package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gate of a SwiGLU MLP (Shazeer, "GLU variants improve Transformer", arXiv:2002.05202, eq. 6;
 * transformers' {@code LlamaMLP}: {@code act_fn(gate_proj(x)) * up_proj(x)}):
 * {@code gate[i] = silu(gate[i]) · up[i]}. As in torch, the SiLU result is a float tensor before
 * the multiply, so there are two roundings: {@link Silu#of} then one float multiply.
 */
public final class SwiGlu {
    private SwiGlu() {}

    private static final VectorSpecies<Double> D = KernelMode.DOUBLE;
    private static final VectorSpecies<Float> FD = KernelMode.FLOAT_FOR_DOUBLE;

    public static void apply(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        Objects.checkFromIndexSize(gateOffset, n, gate.length);
        Objects.checkFromIndexSize(upOffset, n, up.length);
        if (KernelMode.VECTOR) vector(gate, gateOffset, up, upOffset, n);
        else scalar(gate, gateOffset, up, upOffset, n);
    }

    static void vector(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) {
            DoubleVector g = (DoubleVector) FloatVector.fromArray(FD, gate, gateOffset + i).convertShape(VectorOperators.F2D, D, 0);
            FloatVector silu = (FloatVector) Silu.exact(g).convertShape(VectorOperators.D2F, FD, 0);
            silu.mul(FloatVector.fromArray(FD, up, upOffset + i)).intoArray(gate, gateOffset + i);
        }
        for (; i < n; i++) gate[gateOffset + i] = Silu.of(gate[gateOffset + i]) * up[upOffset + i];
    }

    static void scalar(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        for (int i = 0; i < n; i++) gate[gateOffset + i] = Silu.of(gate[gateOffset + i]) * up[upOffset + i];
    }
}
