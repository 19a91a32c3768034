package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.awt.color.ColorSpace;
import java.awt.Transparency;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoders against javax.imageio's encoders (PNG of every colour type, bit depth and
 * interlace; baseline and progressive JPEG), hostile input (random byte mutations, truncations,
 * huge headers, non-images), each error an ImageFormatException naming the file.
 */
class ImageDecoderTest {
    /** ImageIO's PNG writer: RGB, grey, RGBA, 16-bit grey and colour, palettes of 1 to 8 bits; Adam7 when interlaced. */
    static byte[] png(BufferedImage image, boolean interlaced) {
        return encode("png", image, param -> param.setProgressiveMode(interlaced ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED));
    }

    /** ImageIO's JPEG writer at quality 0.9, baseline or progressive. */
    static byte[] jpeg(BufferedImage image, boolean progressive) {
        return encode("jpeg", image, param -> {
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            if (progressive) param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        });
    }

    private static byte[] encode(String format, BufferedImage image, java.util.function.Consumer<ImageWriteParam> settings) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            settings.accept(param);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    static BufferedImage randomImage(int kind, int w, int h, Random r) {
        BufferedImage image = switch (kind) {
            case 0 -> new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            case 1 -> new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            case 2 -> new BufferedImage(w, h, BufferedImage.TYPE_4BYTE_ABGR);
            case 3 -> new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
            case 4 -> {
                ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                        Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
                yield new BufferedImage(cm, cm.createCompatibleWritableRaster(w, h), false, null);
            }
            default -> {
                int bits = new int[] {1, 2, 4, 8}[kind - 5];
                byte[] rgb = new byte[3 << bits];
                r.nextBytes(rgb);
                byte[][] c = new byte[3][1 << bits];
                for (int i = 0; i < (1 << bits); i++) for (int k = 0; k < 3; k++) c[k][i] = rgb[3 * i + k];
                IndexColorModel cm = new IndexColorModel(bits, 1 << bits, c[0], c[1], c[2]);
                yield new BufferedImage(w, h, bits == 8 ? BufferedImage.TYPE_BYTE_INDEXED : BufferedImage.TYPE_BYTE_BINARY, cm);
            }
        };
        WritableRaster raster = image.getRaster();
        int max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < raster.getNumBands(); b++) {
                    // 16-bit grey mostly below 256 so that PIL's clip at 255 is exercised on both sides
                    int v = kind == 3 && r.nextBoolean() ? r.nextInt(300) : r.nextInt(max + 1);
                    raster.setSample(x, y, b, v);
                }
            }
        }
        return image;
    }

    @Test
    void pngsThatImageIoWritesDecodeToTheirPixels() {
        qt().withExamples(300).forAll(integers().between(0, 8), integers().between(1, 40 * 40), integers().between(0, 1), longs().all())
                .checkAssert((kind, size, interlaced, seed) -> {
                    int w = 1 + size % 40, h = 1 + size / 40 % 40;
                    BufferedImage image = randomImage(kind, w, h, new Random(seed));
                    DecodedImage d = ImageDecoder.decode(png(image, interlaced == 1), "test.png", ImageDecoder.MAX_PIXELS);
                    assertEquals(w, d.width());
                    assertEquals(h, d.height());
                    WritableRaster raster = image.getRaster();
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            for (int b = 0; b < raster.getNumBands(); b++) {
                                int v = raster.getSample(x, y, b);
                                int expected = switch (kind) {
                                    case 3 -> Math.min(v, 255);          // 16-bit grey: PIL mode I, clipped on conversion
                                    case 4 -> v >> 8;                    // 16-bit colour: the high byte
                                    default -> v;                        // palette indices for kinds 5..8
                                };
                                assertEquals(expected, d.sample(x, y, b), "kind " + kind + " at " + x + "," + y + " band " + b);
                            }
                        }
                    }
                    DecodedImage.Mode mode = switch (kind) {
                        case 0, 4 -> DecodedImage.Mode.RGB;
                        case 1, 3 -> DecodedImage.Mode.L;
                        case 2 -> DecodedImage.Mode.RGBA;
                        default -> DecodedImage.Mode.P;
                    };
                    assertEquals(mode, d.mode());
                    if (mode == DecodedImage.Mode.P) {
                        IndexColorModel cm = (IndexColorModel) image.getColorModel();
                        int p = d.sample(0, 0, 0);
                        DecodedImage rgb = d.toRgb();
                        assertEquals(cm.getRed(p), rgb.sample(0, 0, 0));
                        assertEquals(cm.getBlue(p), rgb.sample(0, 0, 2));
                    }
                });
    }

    @Test
    void progressiveAndBaselineJpegsOfTheSameImageDecodeAlike() {
        Random r = new Random(7);
        for (int kind : new int[] {0, 1}) {
            BufferedImage image = new BufferedImage(37, 29, kind == 0 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 29; y++) for (int x = 0; x < 37; x++) image.setRGB(x, y, r.nextInt(1 << 24) | (x * 7 << 16));
            DecodedImage baseline = ImageDecoder.decode(jpeg(image, false), "b.jpg", ImageDecoder.MAX_PIXELS);
            DecodedImage progressive = ImageDecoder.decode(jpeg(image, true), "p.jpg", ImageDecoder.MAX_PIXELS);
            assertEquals(kind == 0 ? DecodedImage.Mode.RGB : DecodedImage.Mode.L, baseline.mode());
            assertEquals(baseline, progressive);
        }
    }

    // ---- hostile input --------------------------------------------------------------------

    private static final List<byte[]> PNG_SEEDS = List.of(
            png(randomImage(0, 9, 7, new Random(1)), false), png(randomImage(2, 6, 5, new Random(2)), true),
            png(randomImage(6, 11, 3, new Random(3)), false), png(randomImage(3, 4, 4, new Random(4)), true));
    private static final List<byte[]> JPEG_SEEDS = List.of(
            jpeg(randomImage(0, 19, 13, new Random(5)), false), jpeg(randomImage(0, 16, 9, new Random(6)), true),
            jpeg(randomImage(1, 8, 8, new Random(8)), false));

    private int decoded, rejected;

    /** Decodes or fails with an ImageFormatException naming the file; anything else fails the property. */
    private void decodeOrNamedError(byte[] bytes) {
        try {
            DecodedImage d = ImageDecoder.decode(bytes, "mutant.img", 1 << 16);
            assertEquals((long) d.width() * d.height() * d.channels(), d.samples().length);
            decoded++;
        } catch (ImageFormatException e) {
            assertTrue(e.getMessage().startsWith("mutant.img: "), e.getMessage());
            rejected++;
        } catch (Throwable t) {
            fail("not an ImageFormatException: " + t, t);
        }
    }

    static byte[] mutate(byte[] seed, int kind, Random r) {
        byte[] b = seed.clone();
        switch (kind) {
            case 0 -> { for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) b[r.nextInt(b.length)] = (byte) r.nextInt(256); }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 2 -> { int i = r.nextInt(b.length); b[i] ^= (byte) (1 << r.nextInt(8)); }
            default -> {   // overwrite a byte after the signature, then make every PNG CRC right again so the edit reaches the decoder
                b[8 + r.nextInt(b.length - 8)] = (byte) r.nextInt(256);
                fixPngCrcs(b);
            }
        }
        return b;
    }

    /** Recomputes the CRC of every whole chunk, leaving the layout (and any broken length) as it is. */
    static void fixPngCrcs(byte[] b) {
        int pos = 8;
        while (pos + 12 <= b.length) {
            long len = ((b[pos] & 0xFFL) << 24) | ((b[pos + 1] & 0xFF) << 16) | ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
            if (pos + 12 + len > b.length) return;
            CRC32 crc = new CRC32();
            crc.update(b, pos + 4, (int) len + 4);
            long v = crc.getValue();
            int at = pos + 8 + (int) len;
            b[at] = (byte) (v >>> 24);
            b[at + 1] = (byte) (v >>> 16);
            b[at + 2] = (byte) (v >>> 8);
            b[at + 3] = (byte) v;
            pos = at + 4;
        }
    }

    @Test
    void mutatedOrTruncatedPngsDecodeOrFailNamingTheFile() {
        qt().withExamples(1500).forAll(integers().between(0, PNG_SEEDS.size() - 1), integers().between(0, 5), longs().all())
                .checkAssert((seed, kind, random) -> decodeOrNamedError(mutate(PNG_SEEDS.get(seed), Math.min(kind, 3), new Random(random))));
        assertTrue(decoded >= 50 && rejected >= 500, "decoded " + decoded + ", rejected " + rejected);
    }

    @Test
    void mutatedOrTruncatedJpegsDecodeOrFailNamingTheFile() {
        qt().withExamples(600).forAll(integers().between(0, JPEG_SEEDS.size() - 1), integers().between(0, 2), longs().all())
                .checkAssert((seed, kind, random) -> decodeOrNamedError(mutate(JPEG_SEEDS.get(seed), kind, new Random(random))));
        assertTrue(decoded >= 20 && rejected >= 100, "decoded " + decoded + ", rejected " + rejected);
    }

    @Test
    void aHugePngHeaderIsRefusedBeforeAnyAllocation() {
        byte[] b = Arrays.copyOf(PNG_SEEDS.get(0), PNG_SEEDS.get(0).length);
        // IHDR data starts at byte 16: width then height, 100000 x 100000
        for (int i = 0; i < 2; i++) {
            b[16 + 4 * i] = 0;
            b[17 + 4 * i] = 0x01;
            b[18 + 4 * i] = (byte) 0x86;
            b[19 + 4 * i] = (byte) 0xA0;
        }
        fixPngCrcs(b);
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(b, "bomb.png", ImageDecoder.MAX_PIXELS));
        assertTrue(e.getMessage().startsWith("bomb.png: ") && e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void aHugeJpegHeaderIsRefusedBeforeLibjpegSeesIt() {
        byte[] b = JPEG_SEEDS.get(0).clone();
        for (int i = 0; i + 8 < b.length; i++) {
            if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xC0) {
                b[i + 5] = b[i + 6] = b[i + 7] = b[i + 8] = (byte) 0xEA;   // 60138 x 60138
                break;
            }
        }
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(b, "bomb.jpg", ImageDecoder.MAX_PIXELS));
        assertTrue(e.getMessage().startsWith("bomb.jpg: ") && e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void truncatedFilesSaySo() {
        byte[] p = PNG_SEEDS.get(0);
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImageDecoder.decode(Arrays.copyOf(p, p.length - 20), "cut.png", ImageDecoder.MAX_PIXELS));
        assertTrue(e.getMessage().startsWith("cut.png: truncated"), e.getMessage());
        byte[] j = JPEG_SEEDS.get(0);
        e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(Arrays.copyOf(j, j.length / 2), "cut.jpg", ImageDecoder.MAX_PIXELS));
        assertTrue(e.getMessage().startsWith("cut.jpg: "), e.getMessage());
    }

    @Test
    void aFileThatIsNotAnImageIsNamed(@TempDir Path tmp) throws IOException {
        Path text = tmp.resolve("readme.png");
        Files.writeString(text, "just text");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(text));
        assertTrue(e.getMessage().startsWith(text + ": not an image"), e.getMessage());
        Path empty = tmp.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(empty));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(tmp.resolve("missing.png")));
        assertTrue(e.getMessage().contains("missing.png: no such file"), e.getMessage());
    }

    @Test
    void pngPixelsMatchImageIoOnTheFixturePhotos() throws IOException {
        for (String name : new String[] {"chelsea.png", "coffee_portrait.png", "camera_gray_126x70.png", "chelsea_tiny_37x29.png"}) {
            Path file = PreprocessGoldenTest.PREPROCESS.resolve("images").resolve(name);
            DecodedImage ours = ImageDecoder.decode(file);
            BufferedImage theirs = ImageIO.read(file.toFile());
            int[] px = theirs.getRaster().getPixels(0, 0, theirs.getWidth(), theirs.getHeight(), (int[]) null);
            assertEquals(px.length, ours.samples().length, name);
            for (int i = 0; i < px.length; i++) assertEquals(px[i], ours.samples()[i] & 0xFF, name + " sample " + i);
        }
    }
}
