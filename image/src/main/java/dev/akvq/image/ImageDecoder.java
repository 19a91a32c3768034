package dev.akvq.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens an image file as PIL 9.4's {@code Image.open(path)} would see it: PNG or JPEG, picked by
 * the file's signature, not its name. Anything else is "not an image". Sizes are checked
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
        return decode(file, MAX_PIXELS);
    }

    /** Decodes {@code file}, refusing images of more than {@code maxPixels} pixels. */
    public static DecodedImage decode(Path file, long maxPixels) {
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
        return decode(bytes, name, maxPixels);
    }

    /** Decodes an image held in memory; {@code name} is used in error messages. */
    public static DecodedImage decode(byte[] bytes, String name, long maxPixels) {
        if (startsWith(bytes, PngDecoder.SIGNATURE)) return PngDecoder.decode(bytes, name, maxPixels);
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF) {
            return JpegDecoder.decode(bytes, name, maxPixels);
        }
        throw new ImageFormatException(name + ": not an image (neither a PNG nor a JPEG signature; "
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
