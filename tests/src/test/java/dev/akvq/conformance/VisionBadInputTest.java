package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad or awkward input through {@code akvq run --image} (and {@code akvq trace}) for Qwen2-VL and
 * Idefics3: an image smaller than a patch, a 1 x 10000 strip, a grid that would overflow
 * max_pixels, a config whose merge size does not divide the grid. Each either does what
 * transformers 4.47.1 does (prompt lengths worked out below from the processors' formulas) or
 * fails with exit status 1 and one line naming what is wrong; never a stack trace.
 */
class VisionBadInputTest {
    /** 15 tokens with one pad; "ab" stands for the roles, whose letters the test tokenizer does not have. */
    private static final String QWEN_PROMPT = "<|im_start|>ab\n<|vision_start|><|image_pad|><|vision_end|>ab<|im_end|>\n"
            + "<|im_start|>ab\n";

    // ---- Qwen2-VL (factor = patch 14 x merge 2 = 28; max_pixels 50176 in the fixture's preprocessor_config.json)

    @Test
    void qwenImageSmallerThanAPatchIsRefusedAsTheReferenceDoes(@TempDir Path tmp) throws IOException {
        // smart_resize raises "height:10 or width:10 must be larger than factor:28".
        assertOneLineError(runQwen(tmp, image(tmp, 10, 10), Map.of()), "image of 10x10: height and width must be at least 28");
    }

    @Test
    void qwenStripIsRefusedAsTheReferenceDoes(@TempDir Path tmp) throws IOException {
        // smart_resize raises "absolute aspect ratio must be smaller than 200".
        assertOneLineError(runQwen(tmp, image(tmp, 1, 10000), Map.of()), "image of 1x10000: height and width must be at least 28");
        assertOneLineError(runQwen(tmp, image(tmp, 30, 10000), Map.of()), "image of 30x10000: absolute aspect ratio must be at most 200");
    }

    @Test
    void qwenGridThatWouldOverflowMaxPixelsIsScaledDown(@TempDir Path tmp) throws IOException {
        // 640 x 480 rounds to 644 x 476 > max_pixels; beta = sqrt(640*480 / 50176) gives floor(…/28)*28 = 252 x 168:
        // grid 12 x 18 = 216 patches, 54 merged tokens, so the 15-token prompt (one pad) becomes 15 - 1 + 54 = 68 tokens.
        var r = runQwen(tmp, image(tmp, 640, 480), Map.of());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("prompt 68 tokens"), r.err());
    }

    @Test
    void qwenGridThatNoCellFitsUnderMaxPixelsIsAClearError(@TempDir Path tmp) throws IOException {
        // 28 x 5600 (aspect 200) rounds to 156800 pixels > 50176; scaled down, the short edge floors to 0 cells.
        assertOneLineError(runQwen(tmp, image(tmp, 5600, 28), Map.of()), "no grid of 28-pixel cells fits");
    }

    @Test
    void qwenConfigWhoseMergeSizeDoesNotDivideTheGridIsAClearError(@TempDir Path tmp) throws IOException {
        // run: the processor (merge_size 2) and the model (4) disagree, named before any image or weight is read;
        // trace: the golden grid (1, 6, 10) against the model's merge size.
        var r = runQwen(tmp, Fixtures.model("qwen2vl").resolve("image.png"), Map.of("\"vision_config\": {", "\"vision_config\": {\"spatial_merge_size\": 4,"));
        assertOneLineError(r, "merge_size = 2 differs from config.json's vision_config.spatial_merge_size = 4");
        String grid = "image_grid_thw row 0 (1, 6, 10): height and width must be multiples of vision_config.spatial_merge_size = 4";
        Path dir = tmp.resolve("qwen2vl");
        var t = Cli.akvq("trace", "--model", dir.toString(), "--inputs", Fixtures.model("qwen2vl").resolve("goldens.safetensors").toString(),
                "--out", tmp.resolve("t.safetensors").toString());
        assertOneLineError(t, grid);
    }

    @Test
    void qwenProcessorThatDisagreesWithTheModelIsAClearError(@TempDir Path tmp) throws IOException {
        Path image = Fixtures.model("qwen2vl").resolve("image.png");
        assertOneLineError(runQwen(tmp, image, Map.of(), Map.of("\"merge_size\": 2", "\"merge_size\": 1")),
                "merge_size = 1 differs from config.json's vision_config.spatial_merge_size = 2");
        Files.copy(Fixtures.model("llava").resolve("preprocessor_config.json"), tmp.resolve("qwen2vl/preprocessor_config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertOneLineError(runQwen(tmp, image, Map.of(), Map.of()), "image_processor_type is CLIPImageProcessor; qwen2_vl needs"
                + " Qwen2VLImageProcessor");
    }

    // ---- Idefics3 (the fixture resizes the longest edge to 128, then tiles of 64; patch 8, scale_factor 2: 16 tokens a tile)

    @Test
    void idefics3ImageSmallerThanAPatchIsUpscaledAsTheReferenceDoes(@TempDir Path tmp) throws IOException {
        // 3 x 3 -> 128 x 128 -> 2 x 2 tiles + the global image: 2 * (2 * 18 + 1) + 20 image-part tokens + BOS + 4 text = 99.
        var r = runIdefics3(tmp, image(tmp, 3, 3), Map.of(), Map.of());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("prompt 99 tokens"), r.err());
    }

    @Test
    void idefics3StripIsTiledAsTheReferenceDoes(@TempDir Path tmp) throws IOException {
        // 1 x 10000 -> 1 x 128 (min_len 1) -> 64 x 128 -> 2 x 1 tiles + global: 2 * 19 + 20 + 5 = 63 tokens.
        var r = runIdefics3(tmp, image(tmp, 1, 10000), Map.of(), Map.of());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("prompt 63 tokens"), r.err());
    }

    @Test
    void idefics3SizeAboveTheReferencesMaximumIsAClearError(@TempDir Path tmp) throws IOException {
        var r = runIdefics3(tmp, image(tmp, 40, 40), Map.of(), Map.of("\"longest_edge\": 128", "\"longest_edge\": 4000"));
        assertOneLineError(r, "longest_edge");
        assertTrue(r.err().contains("cannot be larger than 1820"), r.err());
    }

    @Test
    void idefics3ConfigWhoseScaleFactorDoesNotDivideTheGridIsAClearError(@TempDir Path tmp) throws IOException {
        var r = runIdefics3(tmp, Fixtures.model("idefics3").resolve("image.png"), Map.of("\"scale_factor\": 2", "\"scale_factor\": 3"), Map.of());
        assertOneLineError(r, "field \"scale_factor\": = 3 must divide the 8 patches per side");
    }

    // ---- helpers

    private static Cli.Result runQwen(Path tmp, Path image, Map<String, String> configEdit) throws IOException {
        return runQwen(tmp, image, configEdit, Map.of());
    }

    private static Cli.Result runQwen(Path tmp, Path image, Map<String, String> configEdit, Map<String, String> processorEdit)
            throws IOException {
        Path dir = model("qwen2vl", tmp, configEdit, processorEdit);
        LetterTokenizer tokenizer = LetterTokenizer.ofFixture("qwen2vl", null, Map.of());
        tokenizer.spell(20, 21);
        tokenizer.write(dir);
        return Cli.akvq("run", "--model", dir.toString(), "--image", image.toString(), "--prompt", QWEN_PROMPT,
                "--max-new-tokens", "2", "--threads", "2");
    }

    private static Cli.Result runIdefics3(Path tmp, Path image, Map<String, String> configEdit, Map<String, String> processorEdit)
            throws IOException {
        Path dir = model("idefics3", tmp, configEdit, processorEdit);
        LetterTokenizer tokenizer = LetterTokenizer.ofFixture("idefics3", "<s>", Map.of("<s>", 1));
        tokenizer.spell(20, 21, 22, 23);
        tokenizer.write(dir);
        return Cli.akvq("run", "--model", dir.toString(), "--image", image.toString(), "--prompt", "ab<image>cd",
                "--max-new-tokens", "2", "--threads", "2");
    }

    private static Path model(String name, Path tmp, Map<String, String> configEdit, Map<String, String> processorEdit) throws IOException {
        Path dir = tmp.resolve(name);
        if (!Files.isDirectory(dir)) LetterTokenizer.copyModel(name, tmp);
        edit(dir.resolve("config.json"), configEdit);
        edit(dir.resolve("preprocessor_config.json"), processorEdit);
        return dir;
    }

    private static void edit(Path file, Map<String, String> replacements) throws IOException {
        String text = Files.readString(file);
        for (var e : replacements.entrySet()) {
            assertTrue(text.contains(e.getKey()), file + " has no " + e.getKey());
            text = text.replace(e.getKey(), e.getValue());
        }
        Files.writeString(file, text);
    }

    /** A width x height RGB PNG of a simple gradient. */
    private static Path image(Path tmp, int width, int height) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) img.setRGB(x, y, ((x * 7) & 255) << 16 | ((y * 5) & 255) << 8 | ((x + y) & 255));
        }
        Path file = tmp.resolve(width + "x" + height + ".png");
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static void assertOneLineError(Cli.Result r, String expected) {
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        // progress lines (loaded, images decoded) may come first; the error itself is one line, and the last
        assertEquals(1, r.err().lines().filter(l -> l.contains("error")).count(), "one error line: " + r.err());
        assertTrue(r.err().strip().lines().reduce((a, b) -> b).orElse("").contains(expected), "the error is the last line: " + r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")), "no stack trace: " + r.err());
    }
}
