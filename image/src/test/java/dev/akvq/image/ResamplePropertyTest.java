package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of the PIL resampler: a constant image stays that constant under every filter and
 * size; resizing to the same size is the identity; and each single pass equals its twin computed
 * in double (the exact convolution with Resample.c's normalised weights, rounded once) to within
 * the half level that PIL's 22-bit fixed point allows.
 */
class ResamplePropertyTest {
    private static final Resample[] FILTERS = Resample.values();
    private static final DecodedImage.Mode[] MODES = {DecodedImage.Mode.L, DecodedImage.Mode.RGB, DecodedImage.Mode.RGBA};

    static DecodedImage random(int w, int h, DecodedImage.Mode mode, Random r) {
        byte[] s = new byte[w * h * mode.channels];
        r.nextBytes(s);
        return new DecodedImage(w, h, mode, s, mode == DecodedImage.Mode.P ? new byte[0] : null);
    }

    @Test
    void aConstantImageStaysThatConstant() {
        qt().withExamples(400).forAll(integers().between(1, 40 * 40), integers().between(1, 70 * 70),
                integers().between(0, FILTERS.length * MODES.length - 1), integers().between(0, 255))
                .checkAssert((inSize, outSize, pick, value) -> {
                    int w = 1 + inSize % 40, h = 1 + inSize / 40 % 40, ow = 1 + outSize % 70, oh = 1 + outSize / 70 % 70;
                    DecodedImage.Mode mode = MODES[pick % MODES.length];
                    byte[] s = new byte[w * h * mode.channels];
                    for (int i = 0; i < s.length; i++) s[i] = (byte) (mode == DecodedImage.Mode.RGBA && i % 4 == 3 ? 255 : value);
                    DecodedImage out = FILTERS[pick / MODES.length].resize(new DecodedImage(w, h, mode, s, null), ow, oh);
                    assertEquals(ow, out.width());
                    assertEquals(oh, out.height());
                    for (int i = 0; i < out.samples().length; i++) {
                        int expected = mode == DecodedImage.Mode.RGBA && i % 4 == 3 ? 255 : value;
                        assertEquals(expected, out.samples()[i] & 0xFF, FILTERS[pick / MODES.length] + " " + mode + " " + w + "x" + h + " -> " + ow + "x" + oh);
                    }
                });
    }

    @Test
    void resizingToTheSameSizeIsTheIdentity() {
        qt().withExamples(100).forAll(integers().between(1, 30), integers().between(1, 30), integers().between(0, FILTERS.length - 1), longs().all())
                .checkAssert((w, h, f, seed) -> {
                    DecodedImage in = random(w, h, DecodedImage.Mode.RGB, new Random(seed));
                    DecodedImage out = FILTERS[f].resize(in, w, h);
                    assertArrayEquals(in.samples(), out.samples());
                });
    }

    /** One horizontal pass (height unchanged) against the double-precision convolution. */
    @Test
    void theHorizontalPassEqualsItsDoubleTwin() {
        qt().withExamples(300).forAll(integers().between(0, 50 * 4 - 1), integers().between(1, 80),
                integers().between(1, FILTERS.length - 1), longs().all())
                .checkAssert((size, ow, f, seed) -> {
                    int w = 1 + size % 50, h = 1 + size / 50;
                    DecodedImage in = random(w, h, DecodedImage.Mode.RGB, new Random(seed));
                    Resample filter = FILTERS[f];
                    DecodedImage out = filter.resize(in, ow, h);
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < ow; x++) {
                            for (int c = 0; c < 3; c++) {
                                final int row = y, channel = c;
                                double twin = twin(filter, w, ow, x, i -> in.sample(i, row, channel));
                                assertWithinHalf(twin, out.sample(x, y, c), filter + " " + w + " -> " + ow + " at " + x);
                            }
                        }
                    }
                });
    }

    /** One vertical pass (width unchanged) against the double-precision convolution. */
    @Test
    void theVerticalPassEqualsItsDoubleTwin() {
        qt().withExamples(300).forAll(integers().between(0, 50 * 4 - 1), integers().between(1, 80),
                integers().between(1, FILTERS.length - 1), longs().all())
                .checkAssert((size, oh, f, seed) -> {
                    int h = 1 + size % 50, w = 1 + size / 50;
                    DecodedImage in = random(w, h, DecodedImage.Mode.L, new Random(seed));
                    Resample filter = FILTERS[f];
                    DecodedImage out = filter.resize(in, w, oh);
                    for (int x = 0; x < w; x++) {
                        for (int y = 0; y < oh; y++) {
                            final int column = x;
                            double twin = twin(filter, h, oh, y, i -> in.sample(column, i, 0));
                            assertWithinHalf(twin, out.sample(x, y, 0), filter + " " + h + " -> " + oh + " at " + y);
                        }
                    }
                });
    }

    /** The exact convolution in double, independent of Resample's code: window, kernel, normalisation. */
    static double twin(Resample filter, int inSize, int outSize, int out, java.util.function.IntUnaryOperator sample) {
        double scale = (double) inSize / outSize, fs = Math.max(1.0, scale), support = filter.support * fs;
        double center = (out + 0.5) * scale;
        int lo = Math.max(0, (int) (center - support + 0.5)), hi = Math.min(inSize, (int) (center + support + 0.5));
        double sum = 0, weights = 0;
        for (int i = lo; i < hi; i++) {
            double w = filter.kernel((i - center + 0.5) / fs);
            sum += w * sample.applyAsInt(i);
            weights += w;
        }
        return weights == 0 ? 0 : sum / weights;
    }

    private static void assertWithinHalf(double twin, int ours, String where) {
        double clamped = Math.max(0, Math.min(255, twin));
        assertTrue(Math.abs(clamped - ours) <= 0.5 + 1e-3, where + ": ours " + ours + ", double twin " + twin);
    }

    /** The vertical pass's Vector API form equals its scalar twin bit for bit, tails included. */
    @Test
    void theVerticalPassVectorFormEqualsItsScalarTwin() {
        qt().withExamples(300).forAll(integers().between(1, 70), integers().between(1, 40), integers().between(1, 60),
                integers().between(0, FILTERS.length * 1000 - 1))
                .checkAssert((w, h, oh, pick) -> {
                    Resample filter = FILTERS[Math.max(1, pick % FILTERS.length)];
                    int ch = 1 + pick / FILTERS.length % 4;
                    byte[] src = new byte[w * h * ch];
                    Random r = new Random(pick);
                    r.nextBytes(src);
                    if (pick % 3 == 0) java.util.Arrays.fill(src, (byte) 255);   // saturating corner: every sum at the top
                    Resample.Taps taps = filter.precompute(h, oh);
                    assertArrayEquals(Resample.verticalPassScalar(src, w, ch, taps, oh), Resample.verticalPassVector(src, w, ch, taps, oh),
                            filter + " " + w + "x" + h + "x" + ch + " -> " + oh);
                });
    }

    @Test
    void nearestStepsTheSourceCoordinateAsGeometryDotCDoes() {
        byte[] row = {10, 20, 30, 40, 50, 60, 70, 80};
        DecodedImage in = new DecodedImage(8, 1, DecodedImage.Mode.L, row, null);
        // scale 8/3: source x = 1.33, 4.0, 6.67 -> 1, 4, 6
        assertArrayEquals(new byte[] {20, 50, 70}, Resample.NEAREST.resize(in, 3, 1).samples());
        // a palette image is resized with NEAREST whatever filter is asked for
        DecodedImage p = new DecodedImage(8, 1, DecodedImage.Mode.P, row, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {20, 50, 70}, Resample.LANCZOS.resize(p, 3, 1).samples());
    }

    @Test
    void rgbaIsResizedPremultipliedSoTransparentColourDoesNotBleed() {
        // left pixel opaque red, right pixel fully transparent green: PIL (premultiplied) keeps pure red
        byte[] s = {(byte) 255, 0, 0, (byte) 255, 0, (byte) 255, 0, 0};
        DecodedImage out = Resample.BILINEAR.resize(new DecodedImage(2, 1, DecodedImage.Mode.RGBA, s, null), 1, 1);
        assertEquals(255, out.sample(0, 0, 0));
        assertEquals(0, out.sample(0, 0, 1));
        assertEquals(128, out.sample(0, 0, 3));
    }

    @Test
    void aZeroTargetSizeIsRefused() {
        DecodedImage in = random(4, 4, DecodedImage.Mode.RGB, new Random(1));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> Resample.BICUBIC.resize(in, 0, 3));
        assertTrue(e.getMessage().contains("must be > 0"), e.getMessage());
        assertSame(in, Resample.BICUBIC.resize(in, 4, 4));
    }
}
