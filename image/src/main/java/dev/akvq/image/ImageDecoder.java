package dev.akvq.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Opens an image file as PIL 9.4's {@code Image.open(path)} would see it: PNG, JPEG (grey, colour,
 * CMYK and YCCK), BMP, GIF (first frame) and TIFF, picked by the file's signature, not its name.
 * WebP is refused: the JDK has no WebP reader and a pure-Java decoder would have to reproduce
 * libwebp's pixels (its lossy path's YUV to RGB upsampling and filtering) to be bit-exact with PIL.
 * Anything else is "not an image". Sizes are checked
 * against a pixel limit before any pixel buffer exists, like PIL's
 * {@code Image.MAX_IMAGE_PIXELS} (PIL warns above it and refuses above twice it; here the
 * default refuses above it).
 */
public final class ImageDecoder {
    /** PIL's MAX_IMAGE_PIXELS: int(1024 * 1024 * 1024 // 4 // 3). */
    public static final long MAX_PIXELS = 1024L * 1024 * 1024 / 4 / 3;

    /** Largest file read, in bytes (a PNG or JPEG of MAX_PIXELS fits well within it). */
    public static final long MAX_FILE_BYTES = 1L << 30;

    private ImageDecoder() {}

    public static DecodedImage decode(Path file) {
        return decode(file, MAX_PIXELS, warning -> {});
    }

    /**
     * Decodes {@code file}; {@code warnings} hears of what PIL does quietly and a user should
     * know (a 16-bit image clipped to 8 bits), one line each, naming the file.
     */
    public static DecodedImage decode(Path file, Consumer<String> warnings) {
        return decode(file, MAX_PIXELS, warnings);
    }

    /** Decodes {@code file}, refusing images of more than {@code maxPixels} pixels. */
    public static DecodedImage decode(Path file, long maxPixels, Consumer<String> warnings) {
        String name = file.toString();
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) throw new ImageFormatException(name + ": file of " + size + " bytes is larger than the " + MAX_FILE_BYTES + "-byte limit");
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(name + ": no such file");
        } catch (IOException e) {
            throw new ImageFormatException(name + ": cannot read: " + e.getMessage(), e);
        }
        return decode(bytes, name, maxPixels, warnings);
    }

    /** Decodes an image held in memory; {@code name} is used in error messages. */
    public static DecodedImage decode(byte[] bytes, String name, long maxPixels) {
        return decode(bytes, name, maxPixels, warning -> {});
    }

    /** Decodes an image held in memory; {@code name} is used in error messages and warnings. */
    public static DecodedImage decode(byte[] bytes, String name, long maxPixels, Consumer<String> warnings) {
        if (startsWith(bytes, PngDecoder.SIGNATURE)) return PngDecoder.decode(bytes, name, maxPixels, warnings);
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF) {
            return JpegDecoder.decode(bytes, name, maxPixels);
        }
        if (startsWith(bytes, "BM".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)) && bytes.length >= 26) {
            return ImageIoDecoder.decode(bytes, name, "bmp", maxPixels);
        }
        if (startsWith(bytes, "GIF87a".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
                || startsWith(bytes, "GIF89a".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))) {
            return ImageIoDecoder.decode(bytes, name, "gif", maxPixels);
        }
        if (startsWith(bytes, new byte[] {'I', 'I', 42, 0}) || startsWith(bytes, new byte[] {'M', 'M', 0, 42})) {
            return ImageIoDecoder.decode(bytes, name, "tiff", maxPixels);
        }
        if (bytes.length >= 12 && startsWith(bytes, "RIFF".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
                && bytes[8] == 'W' && bytes[9] == 'E' && bytes[10] == 'B' && bytes[11] == 'P') {
            throw new ImageFormatException(name + ": WebP is not supported (the JDK has no WebP decoder, and akvq only reads"
                    + " formats whose pixels it can match with PIL's); convert it to PNG first, e.g. with dwebp or PIL");
        }
        throw new ImageFormatException(name + ": not an image (no PNG, JPEG, BMP, GIF or TIFF signature; "
                + (bytes.length == 0 ? "the file is empty" : "first bytes " + hex(bytes)) + ")");
    }

    /** The decompression-bomb guard, called with the header's size before anything is allocated. */
    static void checkPixels(String name, long width, long height, long maxPixels) {
        if (width * height > maxPixels) {
            throw new ImageFormatException(name + ": image size " + width + "x" + height + " = " + width * height
                    + " pixels exceeds the limit of " + maxPixels + " (a decompression bomb?)");
        }
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (b[i] != prefix[i]) return false;
        return true;
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) s.append(String.format("%02x", b[i] & 0xFF));
        return s.toString();
    }
}
