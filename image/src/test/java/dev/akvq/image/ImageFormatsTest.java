package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * BMP, GIF and TIFF as hostile input (PilGoldenTest holds their pixels against PIL): a huge
 * header is refused before the reader allocates, and mutated or truncated files decode or fail
 * naming the file. A 16-bit grey PNG that PIL clips is reported once, with the count.
 */
class ImageFormatsTest {

    private static byte[] write(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) throw new IllegalStateException("no " + format + " writer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static BufferedImage random(int type, int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage image = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) image.setRGB(x, y, r.nextInt());
        return image;
    }

    private static final List<byte[]> SEEDS = List.of(
            write(random(BufferedImage.TYPE_3BYTE_BGR, 13, 9, 1), "bmp"),
            write(random(BufferedImage.TYPE_BYTE_INDEXED, 10, 7, 2), "gif"),
            write(random(BufferedImage.TYPE_3BYTE_BGR, 9, 8, 3), "tiff"),
            write(random(BufferedImage.TYPE_4BYTE_ABGR, 7, 6, 4), "tiff"));

    @Test
    void seedsDecodeToTheirPixels() {
        DecodedImage bmp = ImageDecoder.decode(SEEDS.get(0), "seed.bmp", ImageDecoder.MAX_PIXELS);
        assertEquals(DecodedImage.Mode.RGB, bmp.mode());
        BufferedImage original = random(BufferedImage.TYPE_3BYTE_BGR, 13, 9, 1);
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 13; x++) {
                int rgb = original.getRGB(x, y);
                assertEquals(rgb >> 16 & 0xFF, bmp.sample(x, y, 0));
                assertEquals(rgb & 0xFF, bmp.sample(x, y, 2));
            }
        }
        assertEquals(DecodedImage.Mode.P, ImageDecoder.decode(SEEDS.get(1), "seed.gif", ImageDecoder.MAX_PIXELS).mode());
        assertEquals(DecodedImage.Mode.RGBA, ImageDecoder.decode(SEEDS.get(3), "seed.tiff", ImageDecoder.MAX_PIXELS).mode());
    }

    @Test
    void mutatedOrTruncatedFilesDecodeOrFailNamingTheFile() {
        int[] outcome = new int[2];
        qt().withExamples(800).forAll(integers().between(0, SEEDS.size() - 1), integers().between(0, 2), longs().all())
                .checkAssert((seed, kind, random) -> {
                    byte[] b = ImageDecoderTest.mutate(SEEDS.get(seed), kind, new Random(random));
                    try {
                        DecodedImage d = ImageDecoder.decode(b, "mutant.img", 1 << 16);
                        assertEquals((long) d.width() * d.height() * d.channels(), d.samples().length);
                        outcome[0]++;
                    } catch (ImageFormatException e) {
                        assertTrue(e.getMessage().startsWith("mutant.img: "), e.getMessage());
                        outcome[1]++;
                    } catch (Throwable t) {
                        fail("not an ImageFormatException: " + t, t);
                    }
                });
        assertTrue(outcome[0] >= 50 && outcome[1] >= 100, "decoded " + outcome[0] + ", rejected " + outcome[1]);
    }

    @Test
    void hugeHeadersAreRefusedBeforeTheReaderAllocates() {
        byte[] bmp = SEEDS.get(0).clone();
        putLittleEndian(bmp, 18, 4, 100_000);   // BITMAPINFOHEADER width, then height
        putLittleEndian(bmp, 22, 4, 100_000);
        byte[] gif = SEEDS.get(1).clone();
        int descriptor = indexOf(gif, (byte) 0x2C);   // the image descriptor: x, y, width, height
        putLittleEndian(gif, 6, 2, 65_000);
        putLittleEndian(gif, 8, 2, 65_000);
        putLittleEndian(gif, descriptor + 5, 2, 65_000);
        putLittleEndian(gif, descriptor + 7, 2, 65_000);
        byte[] tiff = tiffWithSize(SEEDS.get(2), 60_000, 60_000);
        List<String> names = new ArrayList<>();
        for (byte[] b : List.of(bmp, gif, tiff)) {
            String name = "bomb" + names.size();
            ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(b, name, ImageDecoder.MAX_PIXELS));
            assertTrue(e.getMessage().startsWith(name + ": ") && e.getMessage().contains("exceeds the limit"), e.getMessage());
            names.add(name);
        }
    }

    @Test
    void a16BitGreyPngThatPilClipsIsReportedOnce() {
        // 3 x 2 grey at 16 bits: two samples above 255, four at or below
        int[] values = {0, 255, 256, 7, 65535, 100};
        byte[] raw = new byte[2 * (1 + 3 * 2)];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                int v = values[3 * y + x];
                raw[y * 7 + 1 + 2 * x] = (byte) (v >> 8);
                raw[y * 7 + 2 + 2 * x] = (byte) v;
            }
        }
        byte[] png = png(3, 2, 16, 0, raw);
        List<String> warnings = new ArrayList<>();
        DecodedImage image = ImageDecoder.decode(png, "deep.png", ImageDecoder.MAX_PIXELS, warnings::add);
        assertEquals(List.of("deep.png: 16-bit grey PNG: 2 of 6 pixels above 255 were clipped to 255, as PIL's conversion to 8 bits does"),
                warnings);
        assertEquals(255, image.sample(2, 0, 0));
        assertEquals(7, image.sample(0, 1, 0));
        warnings.clear();
        ImageDecoder.decode(png(3, 2, 16, 0, new byte[14]), "flat.png", ImageDecoder.MAX_PIXELS, warnings::add);
        assertEquals(List.of(), warnings);
    }

    /** A PNG of one IDAT holding {@code scanlines} (each row's filter byte included), no other chunks. */
    private static byte[] png(int width, int height, int depth, int colorType, byte[] scanlines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PngDecoder.SIGNATURE);
        byte[] ihdr = new byte[13];
        write(ihdr, 0, 4, width, false);
        write(ihdr, 4, 4, height, false);
        ihdr[8] = (byte) depth;
        ihdr[9] = (byte) colorType;
        chunk(out, "IHDR", ihdr);
        java.util.zip.Deflater deflater = new java.util.zip.Deflater();
        deflater.setInput(scanlines);
        deflater.finish();
        byte[] compressed = new byte[scanlines.length + 64];
        int n = deflater.deflate(compressed);
        deflater.end();
        chunk(out, "IDAT", java.util.Arrays.copyOf(compressed, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] b = new byte[12 + data.length];
        write(b, 0, 4, data.length, false);
        System.arraycopy(type.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, b, 4, 4);
        System.arraycopy(data, 0, b, 8, data.length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 4, 4 + data.length);
        write(b, 8 + data.length, 4, (int) crc.getValue(), false);
        out.writeBytes(b);
    }

    private static void putLittleEndian(byte[] b, int at, int bytes, int value) {
        for (int i = 0; i < bytes; i++) b[at + i] = (byte) (value >> (8 * i));
    }

    private static int indexOf(byte[] b, byte value) {
        // after the header (13 bytes) and the global colour table, if any
        int pos = 13 + ((b[10] & 0x80) != 0 ? 3 * (2 << (b[10] & 7)) : 0);
        while (b[pos] != value) {
            if (b[pos] != 0x21) throw new IllegalStateException("unexpected GIF block " + b[pos]);
            pos += 2;   // extension introducer and label, then sub-blocks
            while (b[pos] != 0) pos += 1 + (b[pos] & 0xFF);
            pos++;
        }
        return pos;
    }

    /** The TIFF's ImageWidth (256) and ImageLength (257) entries rewritten as LONG values. */
    private static byte[] tiffWithSize(byte[] seed, int width, int height) {
        byte[] b = seed.clone();
        boolean little = b[0] == 'I';
        int ifd = (int) read(b, 4, 4, little);
        int entries = (int) read(b, ifd, 2, little);
        for (int e = 0; e < entries; e++) {
            int at = ifd + 2 + 12 * e;
            int tag = (int) read(b, at, 2, little);
            if (tag == 256 || tag == 257) {
                write(b, at + 2, 2, 4, little);   // type LONG
                write(b, at + 4, 4, 1, little);
                write(b, at + 8, 4, tag == 256 ? width : height, little);
            }
        }
        return b;
    }

    private static long read(byte[] b, int at, int bytes, boolean little) {
        long v = 0;
        for (int i = 0; i < bytes; i++) v |= (long) (b[at + (little ? i : bytes - 1 - i)] & 0xFF) << (8 * i);
        return v;
    }

    private static void write(byte[] b, int at, int bytes, int value, boolean little) {
        for (int i = 0; i < bytes; i++) b[at + (little ? i : bytes - 1 - i)] = (byte) (value >> (8 * i));
    }
}
