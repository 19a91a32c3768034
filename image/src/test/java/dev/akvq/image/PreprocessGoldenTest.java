package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.tensor.DType;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every golden of {@code models/preprocess/{clip_llava15, idefics3_small, qwen2vl}} bit for bit:
 * for each image goldens.json lists, pixel_values equal as float32 and every extra equal. The
 * fixtures live in the tests module and are read by path; a missing file fails, never skips.
 */
class PreprocessGoldenTest {
    static final Path PREPROCESS = Path.of("..", "tests", "src", "test", "resources", "fixtures", "models", "preprocess")
            .toAbsolutePath().normalize();

    @ParameterizedTest
    @ValueSource(strings = {"clip_llava15", "idefics3_small", "qwen2vl"})
    void everyImageOfTheGoldensIsBitExact(String processorName) {
        Path dir = PREPROCESS.resolve(processorName);
        JsonObject goldens = Json.readObjectFile(dir.resolve("goldens.json"));
        ImageProcessor processor = ImageProcessor.load(dir);
        List<String> images = new ArrayList<>(goldens.requireObject("inputs").keys());
        assertTrue(images.size() >= 3, "goldens.json lists " + images);
        int tensors = 0;
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("goldens.safetensors"))) {
            for (String image : images) {
                Path png = PREPROCESS.resolve(goldens.requireObject("inputs").requireObject(image).requireString("file"));
                ProcessedImages out = processor.process(List.of(ImageDecoder.decode(png)));
                WeightTensor golden = file.require(image + ".pixel_values");
                assertBitExact(image + ".pixel_values", golden, out.pixelValues(), out.pixelValuesShape());
                tensors++;
                for (ProcessedImages.Extra e : out.extras()) {
                    WeightTensor g = file.require(image + "." + e.name());
                    assertEquals(g.dtype(), e.dtype(), image + "." + e.name() + ": dtype");
                    assertArrayEquals(g.shape(), e.shape(), image + "." + e.name() + ": shape");
                    assertArrayEquals(values(g), e.values(), image + "." + e.name());
                    tensors++;
                }
            }
            long expected = file.names().stream().filter(n -> images.contains(n.substring(0, n.indexOf('.')))).count();
            assertEquals(expected, tensors, "every golden tensor compared");
        }
    }

    static long[] values(WeightTensor t) {
        if (t.dtype() == DType.I64) return t.toLongArray();
        long[] out = new long[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) out[i] = t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF;
        return out;
    }

    /** Equal as float32 bit patterns; the message names the first differing element and the largest difference. */
    static void assertBitExact(String name, WeightTensor golden, float[] actual, long[] shape) {
        assertArrayEquals(golden.shape(), shape, name + ": shape");
        float[] g = golden.toFloatArray();
        assertEquals(g.length, actual.length, name + ": length");
        int first = -1, count = 0;
        double worst = 0;
        for (int i = 0; i < g.length; i++) {
            if (Float.floatToIntBits(g[i]) != Float.floatToIntBits(actual[i])) {
                if (first < 0) first = i;
                count++;
                worst = Math.max(worst, Math.abs((double) g[i] - actual[i]));
            }
        }
        if (first >= 0) {
            fail(name + ": " + count + " of " + g.length + " elements differ, largest |diff| " + worst + "; first at index " + first
                    + " (golden " + g[first] + ", ours " + actual[first] + ")");
        }
    }

    @Test
    void theJpegDecoderEqualsPilsPixels() {
        DecodedImage rocket = ImageDecoder.decode(PREPROCESS.resolve("images/rocket.jpg"));
        try (SafetensorsFile file = SafetensorsFile.open(PREPROCESS.resolve("images/decoded.safetensors"))) {
            WeightTensor golden = file.require("rocket.decoded");
            assertArrayEquals(new long[] {rocket.height(), rocket.width(), 3}, golden.shape());
            assertEquals(DecodedImage.Mode.RGB, rocket.mode());
            long[] g = values(golden);
            int differ = 0;
            for (int i = 0; i < g.length; i++) if (g[i] != (rocket.samples()[i] & 0xFF)) differ++;
            assertEquals(0, differ, "samples differing from PIL's");
        }
    }

    @Test
    void theGreyCropDecodesAsModeL() {
        DecodedImage grey = ImageDecoder.decode(PREPROCESS.resolve("images/camera_gray_126x70.png"));
        assertEquals(DecodedImage.Mode.L, grey.mode());
        assertEquals(126, grey.width());
        assertEquals(70, grey.height());
        assertTrue(Files.exists(PREPROCESS.resolve("images/chelsea.png")));
    }
}
