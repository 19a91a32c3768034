package dev.akvq.image;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * PNG (ISO/IEC 15948) to PIL 9.4's pixels: every colour type and bit depth, Adam7 interlace,
 * the five row filters. Samples come out as PngImagePlugin's unpackers leave them once the
 * processors convert to RGB: grey of 1, 2 or 4 bits scaled to 0..255 ("1", "L;2", "L;4");
 * 16-bit colour and alpha reduced to their high byte ("RGB;16B", "RGBA;16B", "LA;16B"); 16-bit
 * grey opens as PIL mode I, whose conversion to L or RGB clips at 255 (Convert.c i2l / i2rgb),
 * so that is what is kept. tRNS is read and dropped: no processor path uses it
 * ({@code convert("RGB")} ignores it and Idefics3 passes the pixels through numpy first).
 *
 * <p>Everything is checked before any large allocation: the chunk layout and CRCs, IHDR's
 * fields and {@code width * height <= maxPixels}; inflated data must be exactly as long as the
 * scanlines need.
 */
final class PngDecoder {
    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngDecoder() {}

    static DecodedImage decode(byte[] file, String name, long maxPixels, java.util.function.Consumer<String> warnings) {
        int pos = SIGNATURE.length;
        int width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
        byte[] palette = null;
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        boolean sawIhdr = false, sawIend = false;
        CRC32 crc = new CRC32();
        while (!sawIend) {
            if (pos + 8 > file.length) throw new ImageFormatException(name + ": truncated PNG (chunk header at byte " + pos + ")");
            long length = u32(file, pos);
            String type = new String(file, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (length > Integer.MAX_VALUE || pos + 12 + length > file.length) {
                throw new ImageFormatException(name + ": truncated PNG (chunk " + printable(type) + " of " + length
                        + " bytes at byte " + pos + ", file has " + file.length + ")");
            }
            int data = pos + 8, len = (int) length;
            crc.reset();
            crc.update(file, pos + 4, len + 4);
            if (crc.getValue() != u32(file, data + len)) {
                throw new ImageFormatException(name + ": PNG chunk " + printable(type) + " at byte " + pos + " fails its CRC (corrupt file)");
            }
            if (!sawIhdr && !type.equals("IHDR")) throw new ImageFormatException(name + ": PNG does not start with IHDR");
            switch (type) {
                case "IHDR" -> {
                    if (sawIhdr || len != 13) throw new ImageFormatException(name + ": bad PNG IHDR (length " + len + ")");
                    sawIhdr = true;
                    long w = u32(file, data), h = u32(file, data + 4);
                    depth = file[data + 8] & 0xFF;
                    colorType = file[data + 9] & 0xFF;
                    interlace = file[data + 12] & 0xFF;
                    if (w == 0 || h == 0 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
                        throw new ImageFormatException(name + ": PNG size " + w + "x" + h + " is not valid");
                    }
                    ImageDecoder.checkPixels(name, w, h, maxPixels);
                    width = (int) w;
                    height = (int) h;
                    if (!validDepth(colorType, depth)) {
                        throw new ImageFormatException(name + ": PNG colour type " + colorType + " with bit depth " + depth + " is not valid");
                    }
                    if (file[data + 10] != 0 || file[data + 11] != 0 || interlace > 1) {
                        throw new ImageFormatException(name + ": PNG compression, filter or interlace method not 0/0/0-1");
                    }
                }
                case "PLTE" -> {
                    if (len % 3 != 0 || len == 0 || len > 768) throw new ImageFormatException(name + ": PNG palette of " + len + " bytes");
                    palette = java.util.Arrays.copyOfRange(file, data, data + len);
                }
                case "IDAT" -> idat.write(file, data, len);
                case "IEND" -> sawIend = true;
                default -> {
                    if ((file[pos + 4] & 0x20) == 0) {
                        throw new ImageFormatException(name + ": PNG critical chunk " + printable(type) + " is not supported");
                    }
                }
            }
            pos += 12 + len;
        }
        if (colorType == 3 && palette == null) throw new ImageFormatException(name + ": palette PNG without a PLTE chunk");
        int channels = switch (colorType) { case 0, 3 -> 1; case 2 -> 3; case 4 -> 2; default -> 4; };
        int bitsPerPixel = channels * depth;
        int[][] passes = interlace == 1 ? ADAM7 : new int[][] {{0, 0, 1, 1}};
        long expected = 0;
        for (int[] p : passes) {
            long pw = passSize(width, p[0], p[2]), ph = passSize(height, p[1], p[3]);
            if (pw > 0 && ph > 0) expected += ph * (1 + (pw * bitsPerPixel + 7) / 8);
        }
        if (expected > Integer.MAX_VALUE - 8) throw new ImageFormatException(name + ": PNG of " + width + "x" + height + " is too large");
        byte[] raw = inflate(idat.toByteArray(), (int) expected, name);

        DecodedImage.Mode mode = switch (colorType) {
            case 0 -> DecodedImage.Mode.L;
            case 2 -> DecodedImage.Mode.RGB;
            case 3 -> DecodedImage.Mode.P;
            case 4 -> DecodedImage.Mode.LA;
            default -> DecodedImage.Mode.RGBA;
        };
        byte[] out = new byte[width * height * channels];
        int bpp = Math.max(1, bitsPerPixel / 8);
        int offset = 0;
        long clipped = 0;
        for (int[] p : passes) {
            int pw = (int) passSize(width, p[0], p[2]), ph = (int) passSize(height, p[1], p[3]);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int) (((long) pw * bitsPerPixel + 7) / 8);
            byte[] prev = new byte[rowBytes], row = new byte[rowBytes];
            for (int y = 0; y < ph; y++) {
                int filter = raw[offset] & 0xFF;
                System.arraycopy(raw, offset + 1, row, 0, rowBytes);
                offset += 1 + rowBytes;
                unfilter(filter, row, prev, bpp, name);
                int outY = p[1] + y * p[3];
                for (int x = 0; x < pw; x++) {
                    int outX = p[0] + x * p[2];
                    int o = (outY * width + outX) * channels;
                    for (int c = 0; c < channels; c++) out[o + c] = (byte) sample(row, x * channels + c, depth, colorType);
                    if (depth == 16 && colorType == 0 && row[2 * x] != 0) clipped++; // above 255: high byte set
                }
                byte[] t = prev;
                prev = row;
                row = t;
            }
        }
        if (clipped > 0) {
            warnings.accept(name + ": 16-bit grey PNG: " + clipped + " of " + (long) width * height
                    + " pixels above 255 were clipped to 255, as PIL's conversion to 8 bits does");
        }
        return new DecodedImage(width, height, mode, out, mode == DecodedImage.Mode.P ? palette : null);
    }

    /** Sample {@code index} of a row at {@code depth} bits, as PIL's unpackers give it (see the class comment). */
    private static int sample(byte[] row, int index, int depth, int colorType) {
        switch (depth) {
            case 8:
                return row[index] & 0xFF;
            case 16: {
                int hi = row[2 * index] & 0xFF, lo = row[2 * index + 1] & 0xFF;
                // grey: PIL mode I, clipped to 255 on conversion; colour and alpha: the high byte
                return colorType == 0 ? Math.min((hi << 8) | lo, 255) : hi;
            }
            default: {
                int perByte = 8 / depth;
                int b = row[index / perByte] & 0xFF;
                int shift = 8 - depth * (index % perByte + 1);
                int v = (b >> shift) & ((1 << depth) - 1);
                if (colorType == 3) return v;
                return v * (255 / ((1 << depth) - 1));
            }
        }
    }

    private static void unfilter(int filter, byte[] row, byte[] prev, int bpp, String name) {
        int n = row.length;
        switch (filter) {
            case 0 -> { }
            case 1 -> { for (int i = bpp; i < n; i++) row[i] += row[i - bpp]; }
            case 2 -> { for (int i = 0; i < n; i++) row[i] += prev[i]; }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    int left = i >= bpp ? row[i - bpp] & 0xFF : 0;
                    row[i] += (byte) ((left + (prev[i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int a = i >= bpp ? row[i - bpp] & 0xFF : 0, b = prev[i] & 0xFF, c = i >= bpp ? prev[i - bpp] & 0xFF : 0;
                    int p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                    row[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw new ImageFormatException(name + ": PNG row filter " + filter + " is not 0-4 (corrupt file)");
        }
    }

    private static byte[] inflate(byte[] idat, int expected, String name) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(idat);
            byte[] out = new byte[expected];
            int n = 0;
            while (n < expected) {
                int got = inflater.inflate(out, n, expected - n);
                n += got;
                if (got == 0) {
                    if (inflater.finished() || inflater.needsInput()) {
                        throw new ImageFormatException(name + ": truncated PNG image data (" + n + " of " + expected + " bytes)");
                    }
                    if (inflater.needsDictionary()) throw new ImageFormatException(name + ": PNG image data needs a zlib dictionary");
                }
            }
            return out;
        } catch (DataFormatException e) {
            throw new ImageFormatException(name + ": corrupt PNG image data: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static final int[][] ADAM7 = {
        {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

    private static long passSize(long size, int start, int step) {
        return size <= start ? 0 : (size - start + step - 1) / step;
    }

    private static boolean validDepth(int colorType, int depth) {
        return switch (colorType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
    }

    private static long u32(byte[] b, int i) {
        return ((b[i] & 0xFFL) << 24) | ((b[i + 1] & 0xFFL) << 16) | ((b[i + 2] & 0xFFL) << 8) | (b[i + 3] & 0xFFL);
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 'A' && c <= 'z') ? "\"" + type + "\"" : "(unreadable type)";
    }
}
