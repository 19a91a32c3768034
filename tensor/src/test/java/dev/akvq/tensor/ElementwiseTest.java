package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * add, multiply, scale: one IEEE float operation per element. A sum or product of two floats
 * computed in double and rounded to float equals the float operation (double has more than
 * 2·24+2 bits), so the oracle is exact and the check is bit equality, NaN/Inf included.
 */
class ElementwiseTest {

    interface Binary {
        void apply(float[] a, int ao, float[] b, int bo, int n);
    }

    static void checkBinary(String name, Binary vector, Binary scalar, boolean multiply) {
        qt().withExamples(Inputs.examples(200)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, 2), longs().all())
                .checkAssert((size, offset, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float[] a = Inputs.elementwise(random, offset + n), b = Inputs.elementwise(random, n + 1);
            for (boolean isVector : new boolean[] {true, false}) {
                float[] out = a.clone();
                (isVector ? vector : scalar).apply(out, offset, b, 1, n);
                for (int i = 0; i < n; i++) {
                    double x = a[offset + i], y = b[1 + i];
                    Closeness.same(name + "(" + x + ", " + y + ")", out[offset + i], (float) (multiply ? x * y : x + y));
                }
                for (int i = 0; i < offset; i++) Closeness.same("untouched", out[i], a[i]);
            }
        });
    }

    @Test
    void add() {
        checkBinary("add", Add::vector, Add::scalar, false);
    }

    @Test
    void multiply() {
        checkBinary("multiply", Multiply::vector, Multiply::scalar, true);
    }

    @Test
    void scale() {
        qt().withExamples(Inputs.examples(200)).forAll(integers().between(0, Inputs.SIZES.length - 1), longs().all()).checkAssert((size, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float[] a = Inputs.elementwise(random, n);
            float s = Inputs.elementwise(random, 1)[0];
            for (boolean isVector : new boolean[] {true, false}) {
                float[] out = a.clone();
                if (isVector) Scale.vector(out, 0, n, s);
                else Scale.scalar(out, 0, n, s);
                for (int i = 0; i < n; i++) Closeness.same("scale(" + a[i] + ", " + s + ")", out[i], (float) ((double) a[i] * s));
            }
        });
    }
}
