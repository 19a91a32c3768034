package dev.akvq.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The complementary error function in double, for {@link GeluErf} (Java has no erf).
 *
 * <p>W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
 * 631-637, as in his CALERF routine (netlib specfun): three rational approximations, on
 * {@code |z| <= 0.46875} (erf directly), {@code 0.46875 < |z| <= 4} and {@code |z| > 4} (erfc scaled by
 * {@code exp(z²)}), each with relative error below 1e-16, far inside a float ulp (6e-8). The
 * coefficients are Cody's published values. Cody splits {@code z²} to compute {@code exp(-z²)} to
 * full double accuracy; we skip that, since the rounding of {@code z²} costs at most
 * {@code z²·2^-53 < 1e-13} relative for the {@code |z| < 27} where erfc does not underflow, still
 * far below float precision. Negative arguments use {@code erfc(z) = 2 - erfc(-z)}.
 */
final class Erfc {
    private Erfc() {}

    static final double BREAK_SMALL = 0.46875;
    static final double BREAK_LARGE = 4.0;
    /** 1/√π. */
    static final double INV_SQRT_PI = 0.5641895835477563;

    private static final double[] A = {3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
            3.20937758913846947e03, 1.85777706184603153e-1};
    private static final double[] B = {2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
            2.84423683343917062e03};
    private static final double[] C = {5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
            2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
            1.23033935479799725e03, 2.15311535474403846e-8};
    private static final double[] D = {1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
            1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03,
            1.23033935480374942e03};
    private static final double[] P = {3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
            1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2};
    private static final double[] Q = {2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
            6.05183413124413191e-2, 2.33520497626869185e-3};

    /** erfc(z) for any double z; NaN gives NaN, erfc(+Inf) = 0, erfc(-Inf) = 2. */
    static double erfc(double z) {
        double y = Math.abs(z);
        if (!(y > BREAK_SMALL)) return 1.0 - z * small(z * z); // also NaN
        double tail = y <= BREAK_LARGE ? Math.exp(-y * y) * middle(y) : Math.exp(-y * y) * large(y);
        return z < 0 ? 2.0 - tail : tail;
    }

    /** erf(z)/z for |z| <= 0.46875, as a rational function of s = z². */
    private static double small(double s) {
        double num = A[4] * s, den = s;
        for (int i = 0; i < 3; i++) {
            num = (num + A[i]) * s;
            den = (den + B[i]) * s;
        }
        return (num + A[3]) / (den + B[3]);
    }

    /** erfc(y)·exp(y²) for 0.46875 < y <= 4. */
    private static double middle(double y) {
        double num = C[8] * y, den = y;
        for (int i = 0; i < 7; i++) {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        return (num + C[7]) / (den + D[7]);
    }

    /** erfc(y)·exp(y²) for y > 4, with r = 1/y². */
    private static double large(double y) {
        double r = 1.0 / (y * y);
        double num = P[5] * r, den = r;
        for (int i = 0; i < 4; i++) {
            num = (num + P[i]) * r;
            den = (den + Q[i]) * r;
        }
        double correction = r * (num + P[4]) / (den + Q[4]);
        return (INV_SQRT_PI - correction) / y;
    }

    /** The vector twin: all three approximations on every lane, then blended by range. */
    static DoubleVector erfc(DoubleVector z) {
        DoubleVector y = z.abs();
        DoubleVector s = z.mul(z);
        DoubleVector num = s.mul(A[4]), den = s;
        for (int i = 0; i < 3; i++) {
            num = num.add(A[i]).mul(s);
            den = den.add(B[i]).mul(s);
        }
        DoubleVector nearZero = z.mul(num.add(A[3]).div(den.add(B[3]))).neg().add(1.0);

        DoubleVector cn = y.mul(C[8]), cd = y;
        for (int i = 0; i < 7; i++) {
            cn = cn.add(C[i]).mul(y);
            cd = cd.add(D[i]).mul(y);
        }
        DoubleVector middle = cn.add(C[7]).div(cd.add(D[7]));

        DoubleVector r = DoubleVector.broadcast(z.species(), 1.0).div(s);
        DoubleVector pn = r.mul(P[5]), pd = r;
        for (int i = 0; i < 4; i++) {
            pn = pn.add(P[i]).mul(r);
            pd = pd.add(Q[i]).mul(r);
        }
        DoubleVector large = r.mul(pn.add(P[4])).div(pd.add(Q[4])).neg().add(INV_SQRT_PI).div(y);

        VectorMask<Double> isLarge = y.compare(VectorOperators.GT, BREAK_LARGE);
        DoubleVector tail = middle.blend(large, isLarge).mul(s.neg().lanewise(VectorOperators.EXP));
        DoubleVector signed = tail.blend(tail.neg().add(2.0), z.compare(VectorOperators.LT, 0.0));
        // NaN lanes fail the "> BREAK_SMALL" test, as in the scalar form, and take nearZero (NaN).
        return signed.blend(nearZero, y.compare(VectorOperators.GT, BREAK_SMALL).not());
    }
}
