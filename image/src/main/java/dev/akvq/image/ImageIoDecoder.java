package dev.akvq.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;
import javax.imageio.stream.ImageInputStream;

/**
 * BMP, GIF (the first frame) and TIFF through the JDK's own javax.imageio readers, to the pixels
 * PIL 9.4 opens: palette images as mode P (indices and the file's palette; a GIF's transparent
 * index is dropped as a PNG's tRNS is, see {@link PngDecoder}), 8-bit grey as L, colour as RGB
 * and TIFF's unassociated alpha as RGBA. BMP's fourth byte of a 32-bit pixel is padding to PIL
 * (rawmode "BGRX"), so such a BMP opens as RGB. 16-bit BMP pixels widen each 5- or 6-bit field
 * as PIL's unpackers do ({@code v * 255 / max}, truncated). Samples are read from the raster,
 * never through {@code getRGB}, which would gamma-convert grey.
 *
 * <p>The header is parsed first ({@code getWidth/getHeight} read no pixels), so the size is
 * checked against the pixel limit before the reader allocates anything. Anything the reader
 * gives that PIL would open differently (16-bit TIFF samples, CMYK TIFF, several bands that are
 * neither RGB nor RGBA) is refused with the file's name.
 */
final class ImageIoDecoder {
    private ImageIoDecoder() {}

    static DecodedImage decode(byte[] file, String name, String format, long maxPixels) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        if (!readers.hasNext()) throw new ImageFormatException(name + ": this JDK has no " + format + " reader (javax.imageio)");
        if (format.equals("bmp")) checkBmpHeader(file, name, maxPixels);
        ImageReader reader = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(file))) {
            reader.setInput(in, false, true);
            int width = reader.getWidth(0), height = reader.getHeight(0);
            if (width <= 0 || height <= 0) throw new ImageFormatException(name + ": " + format + " size " + width + "x" + height + " is not valid");
            ImageDecoder.checkPixels(name, width, height, maxPixels);
            DecodedImage image = toPilModes(reader.read(0), name, format);
            return format.equals("tiff") && image.mode() == DecodedImage.Mode.P ? withTiffColorMap(image, reader) : image;
        } catch (IOException e) {
            throw new ImageFormatException(name + ": corrupt or truncated " + format + ": " + e.getMessage(), e);
        } catch (ImageFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            // the readers throw unchecked exceptions on some corrupt files; the file is what is wrong
            throw new ImageFormatException(name + ": corrupt " + format + ": " + e, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * The size in a BMP's info header, checked before the reader sees it (the JDK's reader
     * compares it with the data first and would call a bomb merely corrupt): a 12-byte OS/2 core
     * header holds 16-bit sizes, the others 32-bit ones, a negative height meaning top-down.
     */
    private static void checkBmpHeader(byte[] f, String name, long maxPixels) {
        long headerSize = littleEndian(f, 14, 4);
        boolean core = headerSize == 12;
        if (f.length < (core ? 22 : 26)) throw new ImageFormatException(name + ": truncated BMP header");
        long width = core ? littleEndian(f, 18, 2) : (int) littleEndian(f, 18, 4);
        long height = core ? littleEndian(f, 20, 2) : Math.abs((long) (int) littleEndian(f, 22, 4));
        if (width <= 0 || height <= 0) throw new ImageFormatException(name + ": BMP size " + width + "x" + height + " is not valid");
        ImageDecoder.checkPixels(name, width, height, maxPixels);
    }

    private static long littleEndian(byte[] b, int at, int bytes) {
        long v = 0;
        for (int i = 0; i < bytes; i++) v |= (long) (b[at + i] & 0xFF) << (8 * i);
        return v;
    }

    /**
     * A TIFF palette holds 16-bit entries; PIL's TiffImagePlugin keeps each one's high byte
     * ({@code b // 256}) where the JDK's colour model rounds, so the palette is read from the
     * ColorMap field itself (R entries, then G, then B).
     */
    private static DecodedImage withTiffColorMap(DecodedImage image, ImageReader reader) throws IOException {
        TIFFField map = TIFFDirectory.createFromMetadata(reader.getImageMetadata(0)).getTIFFField(BaselineTIFFTagSet.TAG_COLOR_MAP);
        if (map == null || map.getCount() % 3 != 0) return image;
        int entries = Math.min(256, map.getCount() / 3);
        byte[] palette = new byte[3 * entries];
        for (int i = 0; i < entries; i++) {
            for (int c = 0; c < 3; c++) palette[3 * i + c] = (byte) (map.getAsInt(c * (map.getCount() / 3) + i) >> 8);
        }
        return new DecodedImage(image.width(), image.height(), DecodedImage.Mode.P, image.samples(), palette);
    }

    private static DecodedImage toPilModes(BufferedImage image, String name, String format) {
        int w = image.getWidth(), h = image.getHeight(), n = w * h;
        Raster raster = image.getRaster();
        ColorModel model = image.getColorModel();
        int bands = raster.getNumBands();
        int[] pixels = raster.getPixels(0, 0, w, h, (int[]) null);
        if (model instanceof IndexColorModel palette) {
            byte[] indices = new byte[n];
            for (int i = 0; i < n; i++) indices[i] = (byte) pixels[i];
            int entries = Math.min(256, palette.getMapSize());
            byte[] rgb = new byte[3 * entries];
            for (int i = 0; i < entries; i++) {
                rgb[3 * i] = (byte) palette.getRed(i);
                rgb[3 * i + 1] = (byte) palette.getGreen(i);
                rgb[3 * i + 2] = (byte) palette.getBlue(i);
            }
            return new DecodedImage(w, h, DecodedImage.Mode.P, indices, rgb);
        }
        int[] bits = model.getComponentSize();
        int[] scale = new int[bands];
        for (int b = 0; b < bands; b++) {
            if (bits[b] > 8 || (bits[b] < 8 && !(model instanceof DirectColorModel))) {
                throw new ImageFormatException(name + ": " + format + " with " + bits[b] + "-bit samples is not supported (8-bit, palette,"
                        + " and BMP's 5- and 6-bit fields are)");
            }
            scale[b] = (1 << bits[b]) - 1;
        }
        boolean bmpPadding = format.equals("bmp") && bands == 4;
        DecodedImage.Mode mode = switch (bands) {
            case 1 -> DecodedImage.Mode.L;
            case 3 -> DecodedImage.Mode.RGB;
            case 4 -> bmpPadding ? DecodedImage.Mode.RGB : DecodedImage.Mode.RGBA;
            default -> throw new ImageFormatException(name + ": " + format + " with " + bands + " samples per pixel is not supported"
                    + " (grey, RGB, RGBA and palette images are)");
        };
        if (mode == DecodedImage.Mode.RGBA && model.isAlphaPremultiplied()) {
            throw new ImageFormatException(name + ": " + format + " with premultiplied (associated) alpha is not supported");
        }
        if (model.getColorSpace().getType() != (bands == 1 ? java.awt.color.ColorSpace.TYPE_GRAY : java.awt.color.ColorSpace.TYPE_RGB)) {
            throw new ImageFormatException(name + ": " + format + " in a colour space other than grey or RGB (e.g. CMYK) is not supported");
        }
        int channels = mode.channels;
        byte[] samples = new byte[n * channels];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                int v = pixels[i * bands + c];
                samples[i * channels + c] = (byte) (scale[c] == 255 ? v : v * 255 / scale[c]);
            }
        }
        return new DecodedImage(w, h, mode, samples, null);
    }
}
