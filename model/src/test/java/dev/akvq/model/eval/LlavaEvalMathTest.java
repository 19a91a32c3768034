package dev.akvq.model.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The eval's KL divergence and top-2 margin against plain double twins, on random logits of odd sizes. */
class LlavaEvalMathTest {

    /** KL(softmax(a) || softmax(b)) straight from the definition, in double. */
    static double klTwin(float[] a, float[] b) {
        double za = 0, zb = 0, ma = Double.NEGATIVE_INFINITY, mb = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            ma = Math.max(ma, a[i]);
            mb = Math.max(mb, b[i]);
        }
        for (int i = 0; i < a.length; i++) {
            za += Math.exp(a[i] - ma);
            zb += Math.exp(b[i] - mb);
        }
        double kl = 0;
        for (int i = 0; i < a.length; i++) {
            double p = Math.exp(a[i] - ma) / za, q = Math.exp(b[i] - mb) / zb;
            kl += p * Math.log(p / q);
        }
        return kl;
    }

    static double kl(float[] a, float[] b) {
        double lse = PromptSetEval.logSumExp(a);
        double[] logP = new double[a.length], p = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            logP[i] = a[i] - lse;
            p[i] = Math.exp(logP[i]);
        }
        return PromptSetEval.kl(p, logP, b);
    }

    @Test
    void klAndMarginEqualTheirTwins() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 1 + r.nextInt(301);
            float scale = (float) Math.exp(r.nextDouble(-3, 3));
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) (r.nextGaussian() * scale);
                b[i] = r.nextInt(4) == 0 ? a[i] : a[i] + (float) (r.nextGaussian() * scale * 0.1);
            }
            double twin = klTwin(a, b);
            assertEquals(twin, kl(a, b), 1e-9 + 1e-9 * Math.abs(twin), "n " + n);
            assertEquals(0.0, kl(a, a), 1e-12);

            int top = 0;
            for (int i = 1; i < n; i++) if (a[i] > a[top]) top = i;
            double second = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) if (i != top) second = Math.max(second, a[i]);
            float margin = PromptSetEval.topTwoMargin(a, top);
            if (n == 1) assertEquals(Float.POSITIVE_INFINITY, margin);
            else assertEquals((float) (a[top] - second), margin);
            assertTrue(margin >= 0);
        });
    }

    @Test
    void promptComparisonNamesTheFirstDifference() {
        assertNull(PromptSetEval.compare(new int[] {1, 2, 3}, new int[] {1, 2, 3}));
        assertEquals("prompt ids differ from input_ids at index 1: built 3 ids (7 there), input_ids has 3 (2 there)",
                PromptSetEval.compare(new int[] {1, 7, 3}, new int[] {1, 2, 3}));
        assertEquals("prompt ids differ from input_ids at index 2: built 2 ids, input_ids has 3 (3 there)",
                PromptSetEval.compare(new int[] {1, 2}, new int[] {1, 2, 3}));
    }

    @Test
    void jsonStringsAreEscaped() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", EvalReport.quote("a\"b\\c\nd\u0001"));
    }
}
