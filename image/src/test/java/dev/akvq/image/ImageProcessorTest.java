package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The processors' edges: configs, defaults, sizes the algorithms cannot handle, padding, alpha. */
class ImageProcessorTest {
    @TempDir
    Path dir;

    private ImageProcessor load(String json) throws IOException {
        Files.writeString(dir.resolve(ImageProcessor.CONFIG_FILE), json);
        return ImageProcessor.load(dir);
    }

    private static DecodedImage rgb(int w, int h, long seed) {
        byte[] s = new byte[w * h * 3];
        new Random(seed).nextBytes(s);
        return DecodedImage.rgb(w, h, s);
    }

    @Test
    void defaultsAreTransformersDefaults() throws IOException {
        ClipImageProcessor clip = (ClipImageProcessor) load("{\"image_processor_type\": \"CLIPImageProcessor\"}");
        assertEquals(224, clip.shortestEdge());
        assertEquals(224, clip.cropHeight());
        assertEquals(Resample.BICUBIC, clip.resample());
        assertEquals(0.26862954f, clip.imageStd()[0]);
        Idefics3ImageProcessor i3 = (Idefics3ImageProcessor) load("{\"image_processor_type\": \"Idefics3ImageProcessor\"}");
        assertEquals(1456, i3.longestEdge());
        assertEquals(364, i3.maxImageSize());
        assertEquals(Resample.LANCZOS, i3.resample());
        assertEquals(0.5f, i3.imageMean()[2]);
        Qwen2VLImageProcessor q = (Qwen2VLImageProcessor) load("{\"image_processor_type\": \"Qwen2VLImageProcessor\"}");
        assertEquals(56 * 56, q.minPixels());
        assertEquals(28 * 28 * 1280, q.maxPixels());
        assertEquals(14, q.patchSize());
        assertEquals(2, q.temporalPatchSize());
        assertEquals(2, q.mergeSize());
    }

    @Test
    void badConfigFieldsAreNamed() throws IOException {
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"resample\": 7}", "resample");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"image_std\": [0.5, 0, 0.5]}", "image_std");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"image_mean\": [0.5, 0.5]}", "image_mean");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"crop_size\": {\"height\": 0, \"width\": 3}}", "crop_size.height");
        assertField("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"patch_size\": 0}", "patch_size");
        assertField("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 100, \"max_pixels\": 50}", "max_pixels");
        assertField("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": 4000}}", "size.longest_edge");
        assertField("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"shortest_edge\": 40}}", "size");
        assertField("{\"image_processor_type\": \"SiglipImageProcessor\"}", "image_processor_type");
        assertField("{\"do_resize\": true}", "image_processor_type");
    }

    @Test
    void absurdSizesAreRefusedNamingTheFieldBeforeAnyResize() throws IOException {
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 1000000000}}", "size.shortest_edge");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": 1000000000}", "size");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"crop_size\": 1000000000}", "crop_size");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"crop_size\": {\"height\": 100000, \"width\": 100000}}", "crop_size");
        assertField("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"height\": 100000, \"width\": 100000}}", "size.height");
        assertField("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"max_image_size\": {\"longest_edge\": 1000000}}",
                "max_image_size.longest_edge");
        assertField("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"height\": 100000, \"width\": 100000}}",
                "size.height");
        assertField("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 1000000000000, \"max_pixels\": 1000000000001}",
                "min_pixels");
        // sizes that pass alone but not for a given image: its output size is computed and checked before resizing
        ImageProcessor clip = load("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 9000}}");
        assertError(() -> clip.process(List.of(rgb(2, 300, 1))), "\"size.shortest_edge\" = 9000 would resize image 0 to 9000x1350000");
        // min_pixels at the limit: a 31x30 image grows to 9632x9324, each edge rounded up to 28, just past it
        ImageProcessor qwen = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": " + ImageDecoder.MAX_PIXELS
                + ", \"max_pixels\": 1000000000000}");
        assertError(() -> qwen.process(List.of(rgb(31, 30, 2))), "\"min_pixels\" = " + ImageDecoder.MAX_PIXELS + " would resize image 0 to 9632x9324");
        ImageProcessor idefics = load("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"do_resize\": false,"
                + " \"max_image_size\": {\"longest_edge\": 9000}}");
        assertError(() -> idefics.process(List.of(rgb(9001, 30, 3))), "\"max_image_size.longest_edge\" = 9000 would resize image 0");
    }

    private void assertField(String json, String field) throws IOException {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> load(json));
        assertTrue(e.getMessage().contains(ImageProcessor.CONFIG_FILE) && e.getMessage().contains("\"" + field + "\""), e.getMessage());
    }

    @Test
    void qwenSmartResizeRoundsHalfToEvenAndTakesBothBranches() {
        assertArrayEquals(new int[] {56, 112}, Qwen2VLImageProcessor.smartResize(70, 126, 28, 3136, 50176));   // 2.5, 4.5 -> 2, 4
        // 37x29 rounds to 28x28 < min_pixels: grown by sqrt(3136 / 1073) and each edge rounded up
        assertArrayEquals(new int[] {56, 84}, Qwen2VLImageProcessor.smartResize(29, 37, 28, 3136, 50176));
        // 451x300 rounds to 448x308 > max_pixels: shrunk by sqrt(135300 / 50176) and each edge rounded down
        assertArrayEquals(new int[] {168, 252}, Qwen2VLImageProcessor.smartResize(300, 451, 28, 3136, 50176));
    }

    @Test
    void qwenRefusesWhatSmartResizeCannotDo() throws IOException {
        ImageProcessor q = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"max_pixels\": 50176}");
        assertError(() -> q.process(List.of(rgb(20, 20, 1))), "at least 28");               // smaller than a patch group
        assertError(() -> q.process(List.of(rgb(1, 10000, 2))), "at least 28");             // a 1 x 10000 strip
        assertError(() -> q.process(List.of(rgb(6000, 29, 3))), "aspect ratio");            // ratio over 200
        ImageProcessor tiny = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 10, \"max_pixels\": 100}");
        assertError(() -> tiny.process(List.of(rgb(60, 60, 4))), "max_pixels");           // no 28x28 cell fits in 100 pixels
        ImageProcessor noResize = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"do_resize\": false}");
        assertError(() -> noResize.process(List.of(rgb(70, 56, 5))), "multiples of patch_size x merge_size");
        ProcessedImages two = q.process(List.of(rgb(56, 56, 6), rgb(112, 56, 7)));
        assertArrayEquals(new long[] {16 + 32, 1176}, two.pixelValuesShape());   // 4x4 and 4x8 patches of 14
        assertArrayEquals(new long[] {1, 4, 4, 1, 4, 8}, two.extra("image_grid_thw").values());
    }

    private static void assertError(Runnable r, String text) {
        ImageFormatException e = assertThrows(ImageFormatException.class, r::run);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void idefics3PadsSeveralImagesToTheLargest() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"do_image_splitting\": false,"
                + " \"size\": {\"longest_edge\": 32}}");
        ProcessedImages out = p.process(List.of(rgb(40, 20, 1), rgb(20, 40, 2)));
        assertArrayEquals(new long[] {1, 2, 3, 32, 32}, out.pixelValuesShape());
        ProcessedImages.Extra mask = out.extra("pixel_attention_mask");
        assertArrayEquals(new long[] {1, 2, 32, 32}, mask.shape());
        // first frame 32 wide x 16 high, second 16 wide x 32 high: 512 real pixels each
        assertEquals(512, Arrays.stream(mask.values(), 0, 1024).sum());
        assertEquals(512, Arrays.stream(mask.values(), 1024, 2048).sum());
        assertEquals(0, mask.values()[16 * 32]);          // frame 0, row 16: padding
        assertEquals(0f, out.pixelValues()[16 * 32]);      // padded after normalize: zeros
        assertEquals(1, mask.values()[1024 + 31 * 32]);   // frame 1, row 31, column 0: real
        assertArrayEquals(new long[] {2, 2}, out.extra("rows_cols").shape());
        assertArrayEquals(new long[] {0, 0, 0, 0}, out.extra("rows_cols").values());
    }

    @Test
    void idefics3CompositesAlphaOnWhiteAfterResizing() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": 8},"
                + " \"max_image_size\": {\"longest_edge\": 8}}");
        byte[] s = new byte[8 * 8 * 4];   // fully transparent black
        ProcessedImages out = p.process(List.of(new DecodedImage(8, 8, DecodedImage.Mode.RGBA, s, null)));
        assertArrayEquals(new long[] {1, 1, 3, 8, 8}, out.pixelValuesShape());
        for (float v : out.pixelValues()) assertEquals(1.0f, v);   // white: (1 - 0.5) / 0.5
        // CLIP's convert("RGB") drops alpha instead: black
        ImageProcessor clip = load("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 8},"
                + " \"crop_size\": 8, \"image_mean\": 0, \"image_std\": 1}");
        for (float v : clip.process(List.of(new DecodedImage(8, 8, DecodedImage.Mode.RGBA, s, null))).pixelValues()) assertEquals(0f, v);
    }

    @Test
    void overWhiteBlendsInPilsFixedPoint() {
        byte[] s = {0, 0, 0, (byte) 128, (byte) 200, 10, 20, (byte) 255, 5, 6, 7, 0};
        DecodedImage out = new DecodedImage(3, 1, DecodedImage.Mode.RGBA, s, null).toRgbOverWhite();
        assertEquals(127, out.sample(0, 0, 0));   // 255 * 127 / 255 from half-transparent black
        assertEquals(200, out.sample(1, 0, 0));   // opaque: unchanged
        assertEquals(20, out.sample(1, 0, 2));
        assertEquals(255, out.sample(2, 0, 1));   // transparent: the white background
    }

    @Test
    void clipPadsWhenTheCropIsLargerThanTheImage() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"CLIPImageProcessor\", \"do_resize\": false, \"crop_size\": 6,"
                + " \"image_mean\": 0.5, \"image_std\": 0.5}");
        byte[] white = new byte[4 * 2 * 3];
        Arrays.fill(white, (byte) 255);
        ProcessedImages out = p.process(List.of(DecodedImage.rgb(4, 2, white)));
        assertArrayEquals(new long[] {1, 3, 6, 6}, out.pixelValuesShape());
        float[] plane = Arrays.copyOf(out.pixelValues(), 36);
        // rows 2..3, columns 1..4 hold the image (ceil padding: top 2, left 1); the rest is zero before rescale -> -1
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                boolean inside = y >= 2 && y < 4 && x >= 1 && x < 5;
                assertEquals(inside ? 1f : -1f, plane[y * 6 + x], "at " + x + "," + y);
            }
        }
    }

    @Test
    void greyImagesAreReplicatedAndPalettesLookedUp() throws IOException {
        ImageProcessor clip = load("{\"image_processor_type\": \"CLIPImageProcessor\", \"do_resize\": false, \"do_center_crop\": false,"
                + " \"do_normalize\": false}");
        DecodedImage grey = new DecodedImage(1, 1, DecodedImage.Mode.L, new byte[] {51}, null);
        assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f}, clip.process(List.of(grey)).pixelValues());
        DecodedImage palette = new DecodedImage(1, 1, DecodedImage.Mode.P, new byte[] {1}, new byte[] {0, 0, 0, (byte) 255, 0, 51});
        assertArrayEquals(new float[] {1f, 0f, 0.2f}, clip.process(List.of(palette)).pixelValues());
        ImageProcessor noConvert = load("{\"image_processor_type\": \"CLIPImageProcessor\", \"do_convert_rgb\": false}");
        assertError(() -> noConvert.process(List.of(grey)), "do_convert_rgb");
        assertInstanceOf(ClipImageProcessor.class, clip);
    }
}
