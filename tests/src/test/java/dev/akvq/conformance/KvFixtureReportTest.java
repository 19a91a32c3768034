package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The claim, "akvq's error below rtn2's at comparable bits", fixture by fixture through
 * {@code akvq trace}, against the FP32 trace of the same inputs ({@link KvFixtureReport}).
 *
 * <p>What holds on every fixture: with the prompt attending over the quantized cache
 * ({@code --kv-prefill-quantized}), AKVQ-VL's attention output is closer to FP32's than RTN-2's in
 * every layer, within one bit per value of RTN-2. The decode side (KL of the greedy steps' logits
 * while both runs still follow FP32's tokens) holds on llama, qwen2vl and llava-shapes case1, and
 * does <b>not</b> on llava, idefics3 (random weights) and llava-shapes case0 (trained): there the
 * test asserts what was measured, so a change in either direction fails here and
 * the README, "Error per fixture", must be updated with it.
 */
class KvFixtureReportTest {

    /**
     * @param akvq         the akvq mode at comparable bits: every layer PSA on the 2-layer random
     *                     fixtures (the default table makes both layers TSA: all text at INT4, 4.7-5.5
     *                     bits); the default llava-1.5 table on llava-shapes (layers 0-1 TSA)
     * @param decodeBelow  whether akvq's decode KL is below rtn2's on this fixture (measured, see the README, "Error per fixture")
     */
    @ParameterizedTest(name = "{0}: {1} vs rtn2, decode below: {2}")
    @CsvSource({
            "llama, psa-w0p2, true",
            "llava, psa-w0p2, false",
            "idefics3, psa-w0p2, false",
            "qwen2vl, psa-w0p2, true",
            "llava-shapes case0, akvq-w0p2, false",
            "llava-shapes case1, akvq-w0p2, true",
    })
    void akvqAttentionErrorIsBelowRtn2sAtComparableBits(String fixture, String akvqMode, boolean decodeBelow, @TempDir Path tmp) {
        KvFixtureReport.Fixture f = KvFixtureReport.fixture(fixture);
        KvFixtureReport.Reference ref = KvFixtureReport.reference(f, tmp);
        KvFixtureReport.Row rtn2 = KvFixtureReport.measure(f, ref, mode("rtn2"), tmp);
        KvFixtureReport.Row akvq = KvFixtureReport.measure(f, ref, mode(akvqMode), tmp);
        String table = KvFixtureReport.format(f, java.util.List.of(rtn2, akvq));
        System.out.println(fixture + "\n" + table);

        assertTrue(akvq.bitsPerValue() <= rtn2.bitsPerValue() + KvFixtureReport.COMPARABLE_BITS,
                akvqMode + " holds " + akvq.bitsPerValue() + " bits per value, rtn2 " + rtn2.bitsPerValue() + ":\n" + table);
        for (int l = 0; l < ref.layers(); l++) {
            assertTrue(rtn2.attentionError()[l] > 1e-2, "rtn2 must differ from fp32 (else nothing is measured), layer " + l);
            assertTrue(akvq.attentionError()[l] < rtn2.attentionError()[l],
                    String.format(Locale.ROOT, "%s layer %d attn_output error: akvq %.4e, rtn2 %.4e%n%s", fixture, l,
                            akvq.attentionError()[l], rtn2.attentionError()[l], table));
        }
        // By default the prompt attends over unquantized K/V: its outputs are FP32's (up to the rotation's rounding).
        assertEquals(0.0, rtn2.attentionErrorFp(), "rtn2 prompt without --kv-prefill-quantized");
        assertTrue(akvq.attentionErrorFp() < 1e-5, "akvq prompt without --kv-prefill-quantized: " + akvq.attentionErrorFp());

        double[] d = KvFixtureReport.decodeKlOnSharedHistory(akvq, rtn2);
        assertTrue(d[1] > 1e-6, "rtn2's decode KL must be measurable: " + d[1]);
        assertEquals(decodeBelow, d[0] < d[1], String.format(Locale.ROOT,
                "%s decode KL over the %d steps on FP32's history: akvq %.4e, rtn2 %.4e; the README, \"Error per fixture\", says akvq is %s%n%s",
                fixture, (int) d[2], d[0], d[1], decodeBelow ? "below" : "not below", table));
    }

    private static KvFixtureReport.Mode mode(String name) {
        return KvFixtureReport.MODES.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void sharedHistoryCountsTheStepsBeforeAndAtTheFirstDifferentToken() {
        assertEquals(3, KvFixtureReport.sameHistorySteps(new long[] {1, 2, 3}, new long[] {1, 2, 4}));
        assertEquals(2, KvFixtureReport.sameHistorySteps(new long[] {1, 2, 3}, new long[] {1, 5, 3}));
        assertEquals(1, KvFixtureReport.sameHistorySteps(new long[] {1, 2, 3}, new long[] {9, 2, 3}));
        assertEquals(3, KvFixtureReport.sameHistorySteps(new long[] {1, 2, 3}, new long[] {1, 2, 3}));
        var mode = new KvFixtureReport.Mode("m", "--kv fp32");
        var a = new KvFixtureReport.Row(mode, 0, new double[0], 0, 0, new double[] {0, 2, 4, 100}, 3, false, 0);
        var b = new KvFixtureReport.Row(mode, 0, new double[0], 0, 0, new double[] {0, 1, 50, 50}, 2, false, 0);
        assertArrayEquals(new double[] {1, 0.5, 2}, KvFixtureReport.decodeKlOnSharedHistory(a, b));
        assertEquals(2, a.decodeKlSameHistory());
        assertEquals(26.5, a.decodeKl());
    }
}
