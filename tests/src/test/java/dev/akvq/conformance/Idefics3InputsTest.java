package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.idefics3.Idefics3Model;
import dev.akvq.model.idefics3.Idefics3Prompt;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idefics3 inputs around the goldens: the prompt builder gives the image part of the golden
 * input_ids, padding images are skipped as the reference skips them, and inputs or configs that
 * contradict each other fail with a message naming the tensor or field.
 */
class Idefics3InputsTest {
    private static final Path GOLDENS = Fixtures.model("idefics3").resolve("goldens.safetensors");

    /**
     * A tokenizer holding the fixture's special tokens as added tokens at the ids goldens.json
     * lists ("special_tokens"); the fixture ships no tokenizer.json.
     */
    private static Tokenizer fixtureTokenizer() {
        StringBuilder added = new StringBuilder();
        String[][] special = {{"500", "<image>"}, {"501", "<fake_token_around_image>"}, {"502", "<global-img>"},
                {"503", "\\n"}, {"504", "<end_of_utterance>"}, {"505", "<row_1_col_1>"}, {"506", "<row_1_col_2>"},
                {"507", "<row_2_col_1>"}, {"508", "<row_2_col_2>"}};
        for (String[] s : special) {
            if (!added.isEmpty()) added.append(",\n");
            added.append("{\"id\": ").append(s[0]).append(", \"content\": \"").append(s[1])
                    .append("\", \"special\": true, \"normalized\": false}");
        }
        return Tokenizer.fromJson(Json.parseObject("""
                {"added_tokens": [%s],
                 "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
                """.formatted(added), "tokenizer.json"));
    }

    @Test
    void promptBuilderGivesTheImagePartOfTheGoldenInputIds() {
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS)) {
            long[] ids = golden.require("input_ids").toLongArray();
            long[] rowsCols = golden.require("rows_cols").toLongArray();
            var tiling = new Idefics3Prompt.Tiling((int) rowsCols[0], (int) rowsCols[1]);
            int[] ours = Idefics3Prompt.encode(fixtureTokenizer(), "<image>", List.of(tiling), 16, false);
            // BOS + 4 text ids come first (goldens.json, input_ids).
            long[] expected = Arrays.copyOfRange(ids, 5, 5 + ours.length);
            assertArrayEquals(expected, Arrays.stream(ours).asLongStream().toArray());
            assertEquals(94, ours.length);
            assertEquals(5, tiling.tiles());
        }
    }

    @Test
    void mergedImageRowsAreMarkedVisionForTheCache() {
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS); Checkpoint checkpoint = Checkpoint.open(Fixtures.model("idefics3"));
             WorkerPool pool = WorkerPool.create(1)) {
            var config = (Idefics3Config) ModelConfig.load(Fixtures.model("idefics3"));
            Idefics3Model model = Idefics3Model.load(checkpoint, config, pool);
            int[] ids = Arrays.stream(golden.require("input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray();
            float[] image = new float[80 * 64];
            for (int i = 0; i < image.length; i++) image[i] = 1000 + i;    // row r holds 1000 + 64 r ..
            var merged = model.merge(ids, image);
            int next = 0;
            for (int t = 0; t < ids.length; t++) {
                boolean isImage = ids[t] == 500;
                assertEquals(isImage ? Modality.VISION : Modality.TEXT, merged.modality()[t], "position " + t);
                if (isImage) assertEquals(1000 + 64 * next++, merged.embeds()[t * 64], "position " + t);
            }
            assertEquals(80, next);
        }
    }

    @Test
    void aPaddedAttentionMaskIsRefusedNotIgnored(@TempDir Path tmp) {
        Path inputs = tmp.resolve("in.safetensors"), out = tmp.resolve("out.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS)) {
            long[] mask = new long[110];
            Arrays.fill(mask, 1);
            mask[0] = 0;                                       // left padding: not traced for VLMs
            new SafetensorsWriter().i64("input_ids", golden.require("input_ids").toLongArray(), 1, 110)
                    .i64("attention_mask", mask, 1, 110)
                    .f32("pixel_values", golden.require("pixel_values").toFloatArray(), golden.require("pixel_values").shape())
                    .write(inputs);
        }
        var r = trace(Fixtures.model("idefics3"), inputs, out);
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("attention_mask all ones (idefics3 traces an unpadded prompt)"), r.err());
    }

    @Test
    void anAllZeroPaddingImageIsSkipped(@TempDir Path tmp) {
        Path inputs = tmp.resolve("in.safetensors"), out = tmp.resolve("out.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS)) {
            WeightTensor pixels = golden.require("pixel_values"), mask = golden.require("pixel_attention_mask");
            float[] padded = Arrays.copyOf(pixels.toFloatArray(), 6 * 3 * 64 * 64);
            long[] paddedMask = Arrays.copyOf(mask.toLongArray(), 6 * 64 * 64);   // the reference pads the mask with 0s too
            new SafetensorsWriter().i64("input_ids", golden.require("input_ids").toLongArray(), 1, 110)
                    .f32("pixel_values", padded, 1, 6, 3, 64, 64).i64("pixel_attention_mask", paddedMask, 1, 6, 64, 64)
                    .write(inputs);
        }
        var r = trace(Fixtures.model("idefics3"), inputs, out);
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS); SafetensorsFile ours = SafetensorsFile.open(out)) {
            for (String name : List.of("vision_features", "projector_output", "logits")) {
                Goldens.assertClose("padded " + name, golden.require(name), ours.require(name));
            }
        }
    }

    @Test
    void pixelValuesOfTheWrongShapeNameTheTensor(@TempDir Path tmp) {
        Path inputs = tmp.resolve("in.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS)) {
            new SafetensorsWriter().i64("input_ids", golden.require("input_ids").toLongArray(), 1, 110)
                    .f32("pixel_values", new float[5 * 3 * 56 * 56], 1, 5, 3, 56, 56).write(inputs);
        }
        var r = trace(Fixtures.model("idefics3"), inputs, tmp.resolve("out.safetensors"));
        assertEquals(1, r.status());
        assertTrue(r.err().contains("pixel_values: shape [1, 5, 3, 56, 56], expected [1, N, 3, 64, 64]"), r.err());
    }

    @Test
    void imageTokensThatDoNotMatchTheImagesAreAnError(@TempDir Path tmp) {
        Path inputs = tmp.resolve("in.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDENS)) {
            WeightTensor pixels = golden.require("pixel_values");
            float[] four = Arrays.copyOf(pixels.toFloatArray(), 4 * 3 * 64 * 64);
            new SafetensorsWriter().i64("input_ids", golden.require("input_ids").toLongArray(), 1, 110)
                    .f32("pixel_values", four, 1, 4, 3, 64, 64).write(inputs);
        }
        var r = trace(Fixtures.model("idefics3"), inputs, tmp.resolve("out.safetensors"));
        assertEquals(1, r.status());
        assertTrue(r.err().contains("input_ids hold 80 image tokens (image_token_id 500) but the images give 64"), r.err());
    }

    @Test
    void configSizesThatDoNotDivideNameTheField(@TempDir Path tmp) throws IOException {
        String config = Files.readString(Fixtures.model("idefics3").resolve("config.json"));
        Path scale = copyWithConfig(tmp.resolve("scale"), config.replace("\"scale_factor\": 2", "\"scale_factor\": 3"));
        var r = trace(scale, GOLDENS, tmp.resolve("out.safetensors"));
        assertEquals(1, r.status());
        assertTrue(r.err().contains("field \"scale_factor\": = 3 must divide the 8 patches per side"), r.err());
        Path image = copyWithConfig(tmp.resolve("image"), config.replace("\"image_size\": 64", "\"image_size\": 60"));
        r = trace(image, GOLDENS, tmp.resolve("out.safetensors"));
        assertEquals(1, r.status());
        assertTrue(r.err().contains("field \"vision_config.image_size\": = 60 is not a multiple of patch_size = 8"), r.err());
    }

    private static Path copyWithConfig(Path dir, String config) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        Files.copy(Fixtures.model("idefics3").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    private static Cli.Result trace(Path model, Path inputs, Path out) {
        return Cli.akvq("trace", "--model", model.toString(), "--inputs", inputs.toString(), "--out", out.toString(),
                "--threads", "2");
    }
}
