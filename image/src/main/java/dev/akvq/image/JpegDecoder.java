package dev.akvq.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.awt.image.Raster;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Baseline and progressive JPEG to PIL 9.4's pixels. The entropy decoding, the integer IDCT
 * (JDCT_ISLOW) and the upsampling are the JDK's libjpeg, read with {@code readRaster}, which
 * applies no colour management: {@code ImageIO.read} would apply the embedded ICC profile and
 * differs from PIL (which ignores it) by up to 55 levels on rocket.jpg. The YCbCr to RGB step
 * is libjpeg's jdcolor.c {@code ycc_rgb_convert} in its 16-bit fixed point, which libjpeg-turbo
 * (PIL's decoder) shares; the result equals {@code preprocess/images/decoded.safetensors}.
 *
 * <p>The markers up to the frame header are read here first, so the size is checked against the
 * pixel limit before libjpeg allocates anything. Colour space as libjpeg guesses it
 * (jdapimin.c default_decompress_parms): 1 component grey; 3 components YCbCr, unless an Adobe
 * marker says transform 0 or, without JFIF and Adobe markers, the component ids are 'R' 'G' 'B'.
 * Four components are CMYK, or YCCK when an Adobe marker says transform 2; libjpeg converts
 * YCCK to CMYK (jdcolor.c ycck_cmyk_convert: each of C, M, Y is 255 minus the YCbCr-to-RGB
 * value), PIL 9.4 reads every CMYK JPEG inverted (JpegImagePlugin's rawmode "CMYK;I", "assume
 * adobe conventions", marker or not) and {@code convert("RGB")} is Convert.c cmyk2rgb; both
 * steps are done here, so such a JPEG comes out RGB as every processor's convert_to_rgb sees it.
 * Arithmetic, lossless and hierarchical JPEGs are refused with a clear error.
 * A truncated or corrupt stream is an error, never libjpeg's grey fill: libjpeg's warnings
 * ("Premature end of JPEG file") are turned into errors, as PIL raises "image file is truncated".
 */
final class JpegDecoder {
    private JpegDecoder() {}

    /** {@code rgb}: three components stored as RGB; {@code ycck}: four stored as YCCK. */
    private record Header(int width, int height, int components, boolean rgb, boolean ycck) {}

    static DecodedImage decode(byte[] file, String name, long maxPixels) {
        Header h = header(file, name, maxPixels);
        Raster raster = readRaster(file, name);
        if (raster.getWidth() != h.width || raster.getHeight() != h.height || raster.getNumBands() != h.components) {
            throw new ImageFormatException(name + ": JPEG decoded to " + raster.getWidth() + "x" + raster.getHeight() + "x"
                    + raster.getNumBands() + ", header says " + h.width + "x" + h.height + "x" + h.components);
        }
        int n = h.width * h.height;
        int[] pixels = raster.getPixels(0, 0, h.width, h.height, (int[]) null);
        if (h.components == 1) {
            byte[] grey = new byte[n];
            for (int i = 0; i < n; i++) grey[i] = (byte) pixels[i];
            return new DecodedImage(h.width, h.height, DecodedImage.Mode.L, grey, null);
        }
        byte[] rgb = new byte[n * 3];
        if (h.components == 4) {
            int[] cmyk = new int[4];
            for (int i = 0; i < n; i++) {
                if (h.ycck) {
                    // libjpeg's ycck_cmyk_convert gives 255 - RGB(Y, Cb, Cr); PIL's "CMYK;I" inverts it back
                    int y = pixels[4 * i], cb = pixels[4 * i + 1], cr = pixels[4 * i + 2];
                    cmyk[0] = clamp(y + CR_R[cr]);
                    cmyk[1] = clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS));
                    cmyk[2] = clamp(y + CB_B[cb]);
                } else {
                    for (int c = 0; c < 3; c++) cmyk[c] = 255 - pixels[4 * i + c];
                }
                cmyk[3] = 255 - pixels[4 * i + 3];
                // Convert.c cmyk2rgb: nk = 255 - k; out = clip(nk - c * nk / 255), with MULDIV255's rounding
                int nk = 255 - cmyk[3];
                for (int c = 0; c < 3; c++) rgb[3 * i + c] = (byte) clamp(nk - mulDiv255(cmyk[c], nk));
            }
        } else if (h.rgb) {
            for (int i = 0; i < 3 * n; i++) rgb[i] = (byte) pixels[i];
        } else {
            for (int i = 0; i < n; i++) {
                int y = pixels[3 * i], cb = pixels[3 * i + 1], cr = pixels[3 * i + 2];
                rgb[3 * i] = (byte) clamp(y + CR_R[cr]);
                rgb[3 * i + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS));
                rgb[3 * i + 2] = (byte) clamp(y + CB_B[cb]);
            }
        }
        return DecodedImage.rgb(h.width, h.height, rgb);
    }

    // jdcolor.c build_ycc_rgb_table: R = Y + 1.402 Cr, G = Y - 0.34414 Cb - 0.71414 Cr, B = Y + 1.772 Cb
    private static final int SCALE_BITS = 16, ONE_HALF = 1 << (SCALE_BITS - 1);
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALE_BITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALE_BITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALE_BITS) + 0.5);
    }

    /** PIL's MULDIV255(a, b): a * b / 255 rounded, as {@code ((t >> 8) + t) >> 8} with t = a * b + 128. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Markers up to the first frame header (SOFn), without decoding anything. */
    private static Header header(byte[] f, String name, long maxPixels) {
        int pos = 2;
        boolean jfif = false, adobe = false;
        int adobeTransform = -1;
        while (true) {
            while (pos < f.length && (f[pos] & 0xFF) == 0xFF && pos + 1 < f.length && (f[pos + 1] & 0xFF) == 0xFF) pos++;
            if (pos + 4 > f.length) throw new ImageFormatException(name + ": truncated JPEG (no frame header)");
            if ((f[pos] & 0xFF) != 0xFF) throw new ImageFormatException(name + ": corrupt JPEG (expected a marker at byte " + pos + ")");
            int marker = f[pos + 1] & 0xFF;
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                pos += 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) throw new ImageFormatException(name + ": corrupt JPEG (image data before any frame header)");
            int len = ((f[pos + 2] & 0xFF) << 8) | (f[pos + 3] & 0xFF);
            if (len < 2 || pos + 2 + len > f.length) throw new ImageFormatException(name + ": truncated JPEG (marker segment at byte " + pos + ")");
            int d = pos + 4;
            if (marker == 0xE0 && len >= 7 && f[d] == 'J' && f[d + 1] == 'F' && f[d + 2] == 'I' && f[d + 3] == 'F' && f[d + 4] == 0) jfif = true;
            if (marker == 0xEE && len >= 14 && f[d] == 'A' && f[d + 1] == 'd' && f[d + 2] == 'o' && f[d + 3] == 'b' && f[d + 4] == 'e') {
                adobe = true;
                adobeTransform = f[d + 11] & 0xFF;
            }
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                if (marker != 0xC0 && marker != 0xC1 && marker != 0xC2) {
                    throw new ImageFormatException(name + ": JPEG process SOF" + (marker - 0xC0)
                            + " (lossless, hierarchical or arithmetic) is not supported; baseline and progressive are");
                }
                if (len < 8) throw new ImageFormatException(name + ": corrupt JPEG frame header");
                int precision = f[d] & 0xFF;
                int height = ((f[d + 1] & 0xFF) << 8) | (f[d + 2] & 0xFF);
                int width = ((f[d + 3] & 0xFF) << 8) | (f[d + 4] & 0xFF);
                int comps = f[d + 5] & 0xFF;
                if (precision != 8) throw new ImageFormatException(name + ": JPEG of " + precision + "-bit samples is not supported (8-bit only)");
                if (width == 0 || height == 0) throw new ImageFormatException(name + ": JPEG size " + width + "x" + height + " is not valid");
                ImageDecoder.checkPixels(name, width, height, maxPixels);
                if (comps != 1 && comps != 3 && comps != 4) {
                    throw new ImageFormatException(name + ": JPEG with " + comps + " components is not supported (grey, colour, CMYK and YCCK are)");
                }
                if (len < 8 + 3 * comps) throw new ImageFormatException(name + ": corrupt JPEG frame header");
                boolean rgb = false;
                if (comps == 3) {
                    if (jfif) rgb = false;
                    else if (adobe) rgb = adobeTransform == 0;
                    else rgb = f[d + 6] == 'R' && f[d + 9] == 'G' && f[d + 12] == 'B';
                }
                return new Header(width, height, comps, rgb, comps == 4 && adobe && adobeTransform == 2);
            }
            pos += 2 + len;
        }
    }

    private static Raster readRaster(byte[] file, String name) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) throw new ImageFormatException(name + ": this JDK has no JPEG reader (javax.imageio)");
        ImageReader reader = readers.next();
        StringBuilder warnings = new StringBuilder();
        IIOReadWarningListener listener = (source, warning) -> warnings.append(warnings.isEmpty() ? "" : "; ").append(warning);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(file))) {
            reader.addIIOReadWarningListener(listener);
            reader.setInput(in, true, true);
            Raster raster = reader.readRaster(0, null);
            if (!warnings.isEmpty()) throw new ImageFormatException(name + ": corrupt or truncated JPEG: " + warnings);
            return raster;
        } catch (IOException e) {
            throw new ImageFormatException(name + ": corrupt or truncated JPEG: " + e.getMessage(), e);
        } catch (ImageFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            // libjpeg's glue throws unchecked exceptions on some corrupt streams; the file is what is wrong
            throw new ImageFormatException(name + ": corrupt JPEG: " + e, e);
        } finally {
            reader.dispose();
        }
    }
}
