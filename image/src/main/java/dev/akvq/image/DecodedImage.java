package dev.akvq.image;

import java.util.Arrays;

/**
 * An image as PIL holds it after {@code Image.open(...).load()}: width, height, a PIL mode and
 * 8-bit samples, row-major and interleaved ({@code samples[(y * width + x) * channels + c]}).
 * Mode {@link Mode#P} holds palette indices and {@code palette} (RGB triples, at most 256).
 *
 * <p>Conversions follow PIL 9.4's Convert.c as the processors call them:
 * {@link #toRgb()} is {@code image.convert("RGB")} (alpha dropped, grey replicated, palette
 * looked up) as transformers' image_transforms.convert_to_rgb does for CLIP and Qwen2-VL;
 * {@link #toRgbOverWhite()} is Idefics3's convert_to_rgb: {@code convert("RGBA")}, then
 * {@code Image.alpha_composite} over opaque white, then {@code convert("RGB")}.
 */
public record DecodedImage(int width, int height, Mode mode, byte[] samples, byte[] palette) {

    /** PIL modes this module produces; channel count per pixel. */
    public enum Mode {
        L(1), LA(2), RGB(3), RGBA(4), P(1);

        public final int channels;

        Mode(int channels) {
            this.channels = channels;
        }
    }

    public DecodedImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size " + width + "x" + height + " must be positive");
        if ((long) width * height * mode.channels != samples.length) {
            throw new IllegalArgumentException("mode " + mode + " " + width + "x" + height + " needs "
                    + (long) width * height * mode.channels + " samples, got " + samples.length);
        }
        if (mode == Mode.P) {
            if (palette == null || palette.length % 3 != 0 || palette.length > 768) {
                throw new IllegalArgumentException("mode P needs a palette of at most 256 RGB triples");
            }
        } else if (palette != null) {
            throw new IllegalArgumentException("only mode P has a palette");
        }
    }

    public static DecodedImage rgb(int width, int height, byte[] samples) {
        return new DecodedImage(width, height, Mode.RGB, samples, null);
    }

    public int channels() {
        return mode.channels;
    }

    /** Sample {@code c} of pixel (x, y), 0..255. */
    public int sample(int x, int y, int c) {
        return samples[(y * width + x) * mode.channels + c] & 0xFF;
    }

    /**
     * The 256-entry palette as PIL's C side holds it: ImagingPaletteNew starts from a grey ramp
     * (entry i = (i, i, i)) and putpalette overwrites the entries the file gives.
     */
    private int[] fullPalette() {
        int[] rgb = new int[256 * 3];
        for (int i = 0; i < 256; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = i;
        for (int i = 0; i < palette.length; i++) rgb[i] = palette[i] & 0xFF;
        return rgb;
    }

    /** PIL's {@code convert("RGB")}: alpha dropped (not composited), grey replicated, palette looked up. */
    public DecodedImage toRgb() {
        if (mode == Mode.RGB) return this;
        int n = width * height;
        byte[] out = new byte[n * 3];
        int[] pal = mode == Mode.P ? fullPalette() : null;
        for (int i = 0; i < n; i++) {
            switch (mode) {
                case L, LA -> out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = samples[i * mode.channels];
                case RGBA -> System.arraycopy(samples, 4 * i, out, 3 * i, 3);
                case P -> {
                    int p = samples[i] & 0xFF;
                    for (int c = 0; c < 3; c++) out[3 * i + c] = (byte) pal[3 * p + c];
                }
                case RGB -> throw new AssertionError();
            }
        }
        return rgb(width, height, out);
    }

    /** PIL's {@code convert("RGBA")}: opaque alpha for modes without one. */
    public DecodedImage toRgba() {
        if (mode == Mode.RGBA) return this;
        int n = width * height;
        byte[] out = new byte[n * 4];
        byte[] rgb = toRgb().samples;
        for (int i = 0; i < n; i++) {
            System.arraycopy(rgb, 3 * i, out, 4 * i, 3);
            out[4 * i + 3] = mode == Mode.LA ? samples[2 * i + 1] : (byte) 255;
        }
        return new DecodedImage(width, height, Mode.RGBA, out, null);
    }

    /**
     * Idefics3's convert_to_rgb (image_processing_idefics3.py at transformers 241c04d3):
     * {@code Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")}. The blend is
     * PIL 9.4's AlphaComposite.c in its fixed point (PRECISION_BITS 7, divide by 255 as
     * {@code ((v >> 8) + v) >> 8}) with an opaque white destination.
     */
    public DecodedImage toRgbOverWhite() {
        if (mode == Mode.RGB || mode == Mode.L || mode == Mode.P) return toRgb();
        DecodedImage rgba = toRgba();
        int n = width * height;
        byte[] out = new byte[n * 3];
        final int precision = 7, dstA = 255, dst = 255;
        for (int i = 0; i < n; i++) {
            int srcA = rgba.samples[4 * i + 3] & 0xFF;
            if (srcA == 0) {
                out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = (byte) dst;
                continue;
            }
            long blend = (long) dstA * (255 - srcA);
            long outA255 = srcA * 255L + blend;
            long coef1 = srcA * 255L * 255L * (1L << precision) / outA255;
            long coef2 = 255L * (1L << precision) - coef1;
            for (int c = 0; c < 3; c++) {
                long v = (rgba.samples[4 * i + c] & 0xFF) * coef1 + dst * coef2 + (0x80L << precision);
                out[3 * i + c] = (byte) ((((v >> 8) + v) >> 8) >> precision);
            }
        }
        return rgb(width, height, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedImage d && d.width == width && d.height == height && d.mode == mode
                && Arrays.equals(d.samples, samples) && Arrays.equals(d.palette, palette);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(samples);
    }

    @Override
    public String toString() {
        return "DecodedImage[" + width + "x" + height + " " + mode + "]";
    }
}
