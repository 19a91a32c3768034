package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;

import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/**
 * Cody's erfc against an independent oracle from Abramowitz and Stegun (1964): the all-positive
 * series 7.1.6 for erf below 1 (where 1 - erf loses under a digit) and the continued fraction 7.1.14
 * for erfc above (300 levels: converged to the last bit from z = 1 on), in double.
 */
class ErfcTest {

    /** erfc(z) from A&S 7.1.6 / 7.1.14; relative error ~1e-15 where it matters to a float. */
    static double oracle(double z) {
        if (Double.isNaN(z)) return Double.NaN;
        if (z < 0) return 2.0 - oracle(-z);
        if (z < 1) {
            // erf(z) = 2/√π e^{-z²} Σ 2^n z^{2n+1} / (1·3···(2n+1))
            double term = z, sum = z;
            for (int n = 1; n < 400 && term > 1e-18 * sum; n++) {
                term *= 2 * z * z / (2 * n + 1);
                sum += term;
            }
            return 1.0 - 2.0 / Math.sqrt(Math.PI) * Math.exp(-z * z) * sum;
        }
        if (Double.isInfinite(z)) return 0.0;
        // erfc(z) = e^{-z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated from the bottom
        double t = z;
        for (int k = 300; k >= 1; k--) t = z + (k / 2.0) / t;
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / t;
    }

    private static double relative(double z, double value) {
        double ref = oracle(z);
        return ref == 0 ? Math.abs(value) : Math.abs(value - ref) / ref;
    }

    @Test
    void scalarAndVectorMatchTheOracle() {
        qt().withExamples(Inputs.examples(3000)).forAll(doubles().between(-8, 26)).checkAssert(z -> {
            // Up to 26: beyond, erfc is below 1e-296 and double itself goes subnormal (and float is long 0).
            double scalar = Erfc.erfc(z);
            double vector = Erfc.erfc(DoubleVector.broadcast(KernelMode.DOUBLE, z)).lane(0);
            // 1e-13 relative is a million times finer than a float ulp and far coarser than either method's error.
            assertTrue(relative(z, scalar) < 1e-13, "scalar erfc(" + z + ") = " + scalar + ", oracle " + oracle(z));
            assertTrue(relative(z, vector) < 1e-13, "vector erfc(" + z + ") = " + vector + ", oracle " + oracle(z));
        });
    }

    @Test
    void knownValuesAndLimits() {
        assertEquals(1.0, Erfc.erfc(0.0));
        assertEquals(0.15729920705028513, Erfc.erfc(1.0), 1e-16); // erfc(1), e.g. DLMF table 7.1 / mpmath
        assertEquals(2.0, Erfc.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Erfc.erfc(Double.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(Erfc.erfc(Double.NaN)));
        assertTrue(Double.isNaN(Erfc.erfc(DoubleVector.broadcast(KernelMode.DOUBLE, Double.NaN)).lane(0)));
        assertEquals(2.0, Erfc.erfc(DoubleVector.broadcast(KernelMode.DOUBLE, Double.NEGATIVE_INFINITY)).lane(0));
    }

    @Test
    void theOracleCanTellAWrongAnswer() {
        assertThrows(AssertionError.class, () -> assertTrue(relative(1.0, 0.1573) < 1e-13));
        assertThrows(AssertionError.class, () -> assertTrue(relative(5.0, 0.0) < 1e-13));
    }
}
