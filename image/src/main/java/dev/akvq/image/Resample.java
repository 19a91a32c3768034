package dev.akvq.image;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * PIL 9.4's {@code Image.resize(size, resample)} on 8-bit images, bit for bit. The filters keep
 * PIL's integer codes (Image.Resampling: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4,
 * HAMMING 5), which is what preprocessor_config.json's {@code resample} holds.
 *
 * <p>Convolution filters follow src/libImaging/Resample.c: {@code precompute_coeffs} builds,
 * per output pixel, a window of taps whose support widens by the downscale factor and whose
 * weights are normalised to sum 1 in double; {@code normalize_coeffs_8bpc} rounds them to 22
 * fractional bits (PRECISION_BITS = 32 - 8 - 2) away from zero; each pass accumulates
 * {@code 1 << 21 + sum(sample * tap)} in int and clips {@code acc >> 22} to 0..255. The
 * horizontal pass runs first, over only the rows the vertical pass will read, then the
 * vertical pass ({@code ImagingResampleInner}). A pass whose size is unchanged is skipped.
 *
 * <p>NEAREST is not a convolution in PIL: {@code _resize} in _imaging.c sends it to
 * Geometry.c's {@code ImagingScaleAffine}, which steps a double source coordinate from
 * {@code scale / 2} by {@code scale} per pixel and truncates it. Mode P images are always
 * resized with NEAREST (palette indices cannot be blended), and LA / RGBA with a convolution
 * filter are resized premultiplied (Image.resize converts to La / RGBa and back, Convert.c's
 * rgbA2rgba / rgba2rgbA). Resizing to the same size returns the image unchanged (PIL copies).
 *
 * <p>The vertical pass has a Vector API form (eight or sixteen samples of a row at once) and
 * a scalar twin, equal bit for bit; the horizontal pass is scalar.
 */
public enum Resample {
    NEAREST(0, 0.0),
    LANCZOS(1, 3.0),
    BILINEAR(2, 1.0),
    BICUBIC(3, 2.0),
    BOX(4, 0.5),
    HAMMING(5, 1.0);

    /** PIL's integer code (Image.Resampling). */
    public final int pilCode;
    /** The filter's support at scale 1, as in Resample.c's filter table. */
    public final double support;

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** True unless {@code -Dakvq.vector=false}, the project-wide switch to the scalar twins. */
    static final boolean VECTOR = !"false".equalsIgnoreCase(System.getProperty("akvq.vector", "true"));
    private static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED;
    /** Bytes with as many lanes as {@link #INT}, loaded and widened one int lane each. */
    private static final VectorSpecies<Byte> BYTE = VectorSpecies.of(byte.class, VectorShape.forBitSize(INT.vectorBitSize() / 4));

    Resample(int pilCode, double support) {
        this.pilCode = pilCode;
        this.support = support;
    }

    /** The filter for PIL's integer code, if it is one. */
    public static java.util.Optional<Resample> fromPilCode(int code) {
        for (Resample r : values()) if (r.pilCode == code) return java.util.Optional.of(r);
        return java.util.Optional.empty();
    }

    /** The filter's kernel; Resample.c's box_filter, bilinear_filter, ..., lanczos_filter. */
    double kernel(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                x = Math.abs(x);
                if (x == 0.0) return 1.0;
                if (x >= 1.0) return 0.0;
                x = x * Math.PI;
                return StrictMath.sin(x) / x * (0.54 + 0.46 * StrictMath.cos(x));
            case BICUBIC: {
                final double a = -0.5;   // PIL's bicubic uses a = -0.5 (Keys), not -0.75
                x = Math.abs(x);
                if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
                return 0.0;
            }
            case LANCZOS:
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            default:
                throw new IllegalStateException("NEAREST has no kernel");
        }
    }

    private static double sinc(double x) {
        if (x == 0.0) return 1.0;
        x = x * Math.PI;
        return StrictMath.sin(x) / x;
    }

    /** Taps of one pass: output pixel i reads {@code count[i]} inputs from {@code first[i]}. */
    record Taps(int ksize, int[] first, int[] count, double[] weights) {}

    /** Resample.c's precompute_coeffs for the full box (0, inSize). */
    Taps precompute(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = this.support * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize], count = new int[outSize];
        double[] kk = new double[Math.multiplyExact(outSize, ksize)];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0.0, ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);   // C casts truncate toward zero, as Java's do
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = kernel((x + xmin - center + 0.5) * ss);
                kk[xx * ksize + x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) if (ww != 0.0) kk[xx * ksize + x] /= ww;
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Taps(ksize, first, count, kk);
    }

    /** normalize_coeffs_8bpc: round to PRECISION_BITS fractional bits, halves away from zero. */
    static int[] fixedPoint(double[] weights) {
        int[] out = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            double w = weights[i];
            out[i] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS)) : (int) (0.5 + w * (1 << PRECISION_BITS));
        }
        return out;
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** {@code image.resize((width, height), this)} as PIL 9.4 does it. */
    public DecodedImage resize(DecodedImage image, int width, int height) {
        if (width < 1 || height < 1) {
            throw new ImageFormatException("resize to " + width + "x" + height + ": height and width must be > 0");
        }
        if (image.width() == width && image.height() == height) return image;
        if (image.mode() == DecodedImage.Mode.P || this == NEAREST) return nearest(image, width, height);
        if (image.mode() == DecodedImage.Mode.LA || image.mode() == DecodedImage.Mode.RGBA) {
            return unpremultiply(convolve(premultiply(image), width, height));
        }
        return convolve(image, width, height);
    }

    /** ImagingResampleInner: horizontal pass over the rows the vertical pass needs, then vertical. */
    private DecodedImage convolve(DecodedImage in, int outW, int outH) {
        int ch = in.channels();
        Taps horizontal = precompute(in.width(), outW);
        Taps vertical = precompute(in.height(), outH);
        boolean needHorizontal = outW != in.width();
        boolean needVertical = outH != in.height();
        byte[] src = in.samples();
        int srcW = in.width(), srcH = in.height();
        int[] vFirst = vertical.first.clone();
        if (needHorizontal) {
            int firstRow = vertical.first[0];
            int lastRow = vertical.first[outH - 1] + vertical.count[outH - 1];
            for (int i = 0; i < outH; i++) vFirst[i] -= firstRow;
            src = horizontalPass(src, srcW, ch, firstRow, lastRow - firstRow, horizontal, outW);
            srcW = outW;
            srcH = lastRow - firstRow;
        }
        if (needVertical) {
            src = verticalPass(src, srcW, ch, new Taps(vertical.ksize, vFirst, vertical.count, vertical.weights), outH);
            srcH = outH;
        }
        return new DecodedImage(srcW, srcH, in.mode(), src, in.palette());
    }

    /** ImagingResampleHorizontal_8bpc over rows {@code firstRow .. firstRow + rows - 1}. */
    static byte[] horizontalPass(byte[] src, int srcW, int ch, int firstRow, int rows, Taps taps, int outW) {
        int[] k = fixedPoint(taps.weights);
        byte[] out = new byte[rows * outW * ch];
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (yy + firstRow) * srcW * ch;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = taps.first[xx], xmax = taps.count[xx], kBase = xx * taps.ksize;
                if (ch == 3) {   // RGB, the processors' case: the three sums in one sweep, as PIL's loop does
                    int ss0 = 1 << (PRECISION_BITS - 1), ss1 = ss0, ss2 = ss0;
                    for (int x = 0, at = rowBase + xmin * 3; x < xmax; x++, at += 3) {
                        int kx = k[kBase + x];
                        ss0 += (src[at] & 0xFF) * kx;
                        ss1 += (src[at + 1] & 0xFF) * kx;
                        ss2 += (src[at + 2] & 0xFF) * kx;
                    }
                    int o = (yy * outW + xx) * 3;
                    out[o] = (byte) clip8(ss0);
                    out[o + 1] = (byte) clip8(ss1);
                    out[o + 2] = (byte) clip8(ss2);
                    continue;
                }
                for (int c = 0; c < ch; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < xmax; x++) ss += (src[rowBase + (x + xmin) * ch + c] & 0xFF) * k[kBase + x];
                    out[(yy * outW + xx) * ch + c] = (byte) clip8(ss);
                }
            }
        }
        return out;
    }

    /** ImagingResampleVertical_8bpc: the Vector API form unless {@code -Dakvq.vector=false}. */
    static byte[] verticalPass(byte[] src, int width, int ch, Taps taps, int outH) {
        return VECTOR ? verticalPassVector(src, width, ch, taps, outH) : verticalPassScalar(src, width, ch, taps, outH);
    }

    /** The scalar twin: each output sample sums its column's taps in int. */
    static byte[] verticalPassScalar(byte[] src, int width, int ch, Taps taps, int outH) {
        int[] k = fixedPoint(taps.weights);
        int stride = width * ch;
        byte[] out = new byte[outH * stride];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = taps.first[yy], ymax = taps.count[yy], kBase = yy * taps.ksize;
            for (int i = 0; i < stride; i++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < ymax; y++) ss += (src[(y + ymin) * stride + i] & 0xFF) * k[kBase + y];
                out[yy * stride + i] = (byte) clip8(ss);
            }
        }
        return out;
    }

    /**
     * The vector form: a row of int lanes per step, the same int products and sums in the same
     * order as the scalar twin, so the results are equal bit for bit; the tail runs the scalar loop.
     */
    static byte[] verticalPassVector(byte[] src, int width, int ch, Taps taps, int outH) {
        int[] k = fixedPoint(taps.weights);
        int stride = width * ch, lanes = INT.length();
        byte[] out = new byte[outH * stride];
        IntVector half = IntVector.broadcast(INT, 1 << (PRECISION_BITS - 1));
        for (int yy = 0; yy < outH; yy++) {
            int ymin = taps.first[yy], ymax = taps.count[yy], kBase = yy * taps.ksize;
            int i = 0;
            for (; i + lanes <= stride; i += lanes) {
                IntVector ss = half;
                for (int y = 0; y < ymax; y++) {
                    IntVector samples = (IntVector) ByteVector.fromArray(BYTE, src, (y + ymin) * stride + i)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INT, 0);
                    ss = ss.add(samples.mul(k[kBase + y]));
                }
                ss = ss.lanewise(VectorOperators.ASHR, PRECISION_BITS).max(0).min(255);
                ((ByteVector) ss.convertShape(VectorOperators.I2B, BYTE, 0)).intoArray(out, yy * stride + i);
            }
            for (; i < stride; i++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < ymax; y++) ss += (src[(y + ymin) * stride + i] & 0xFF) * k[kBase + y];
                out[yy * stride + i] = (byte) clip8(ss);
            }
        }
        return out;
    }

    /** Geometry.c's ImagingScaleAffine with a = (inW / outW, 0, 0, 0, inH / outH, 0). */
    private static DecodedImage nearest(DecodedImage in, int outW, int outH) {
        int ch = in.channels();
        double ax = (double) in.width() / outW, ay = (double) in.height() / outH;
        int[] xin = new int[outW];
        int xmin = outW, xmax = 0;
        double xo = ax * 0.5;
        for (int x = 0; x < outW; x++) {
            int xi = xo < 0.0 ? -1 : (int) xo;
            if (xi >= 0 && xi < in.width()) {
                xmax = x + 1;
                if (x < xmin) xmin = x;
                xin[x] = xi;
            }
            xo += ax;
        }
        byte[] src = in.samples(), out = new byte[outW * outH * ch];
        double yo = ay * 0.5;
        for (int y = 0; y < outH; y++) {
            int yi = yo < 0.0 ? -1 : (int) yo;
            if (yi >= 0 && yi < in.height()) {
                for (int x = xmin; x < xmax; x++) {
                    System.arraycopy(src, (yi * in.width() + xin[x]) * ch, out, (y * outW + x) * ch, ch);
                }
            }
            yo += ay;
        }
        return new DecodedImage(outW, outH, in.mode(), out, in.palette());
    }

    /** Convert.c's rgbA2rgba / la2lA: colour times alpha / 255, rounded as MULDIV255. */
    static DecodedImage premultiply(DecodedImage in) {
        int ch = in.channels();
        byte[] s = in.samples(), out = s.clone();
        for (int i = 0; i < s.length; i += ch) {
            int a = s[i + ch - 1] & 0xFF;
            for (int c = 0; c < ch - 1; c++) {
                int t = (s[i + c] & 0xFF) * a + 128;
                out[i + c] = (byte) (((t >> 8) + t) >> 8);
            }
        }
        return new DecodedImage(in.width(), in.height(), in.mode(), out, null);
    }

    /**
     * Convert.c's rgba2rgbA and la2lA (back from premultiplied): colours of alpha 0 or 255 pass
     * through, others become {@code clip8(255 * v / a)}.
     */
    static DecodedImage unpremultiply(DecodedImage in) {
        int ch = in.channels();
        byte[] s = in.samples(), out = s.clone();
        for (int i = 0; i < s.length; i += ch) {
            int a = s[i + ch - 1] & 0xFF;
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < ch - 1; c++) out[i + c] = (byte) Math.min(255, 255 * (s[i + c] & 0xFF) / a);
        }
        return new DecodedImage(in.width(), in.height(), in.mode(), out, null);
    }
}
