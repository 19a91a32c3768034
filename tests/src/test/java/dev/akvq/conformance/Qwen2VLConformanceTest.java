package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The qwen2vl fixture through {@code akvq trace}: every golden of the vision tower, the merger,
 * M-RoPE positions and the decoder, F32 and BF16 weights, 8 greedy steps (decode positions from
 * rope_deltas); the published {@code "type": "mrope"} config spelling; inputs that contradict
 * each other fail naming what disagrees.
 */
class Qwen2VLConformanceTest {
    static final List<String> FLOAT_GOLDENS = floatGoldens();

    private static List<String> floatGoldens() {
        List<String> names = new ArrayList<>(List.of("vision_patch_embed", "vision_rotary_freqs", "vision_features",
                "projector_output", "decoder_inputs_embeds", "decoder_final_norm_out", "logits", "decode_logits"));
        for (int i = 0; i < 2; i++) {
            names.addAll(List.of("vision_block_out." + i, "decoder_layer_out." + i, "attn_probs." + i, "kv.key." + i, "kv.value." + i));
        }
        return List.copyOf(names);
    }

    static Path goldens() {
        return Fixtures.model("qwen2vl").resolve("goldens.safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2vl", "qwen2vl/bf16"})
    void everyGoldenAndGreedyDecode(String model, @TempDir Path tmp) {
        assertEveryGolden(Fixtures.model(model), model, tmp);
    }

    @Test
    void publishedMropeSpellingOfRopeScalingGivesTheSameTrace(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("model"));
        Files.copy(Fixtures.model("qwen2vl").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String config = Files.readString(Fixtures.model("qwen2vl").resolve("config.json"));
        // The 4.47-written block {"mrope_section": [...], "rope_type": "default", "type": "default"} as published files write it.
        String published = config.replaceFirst("(?s)\"rope_scaling\": \\{.*?\\}", "\"rope_scaling\": {\"type\": \"mrope\", \"mrope_section\": [2, 3, 3]}");
        assertTrue(published.contains("\"type\": \"mrope\"") && !published.contains("\"rope_type\""), published);
        Files.writeString(dir.resolve("config.json"), published);
        assertEveryGolden(dir, "qwen2vl (type mrope)", tmp);
    }

    private static void assertEveryGolden(Path model, String label, Path tmp) {
        Path out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", model.toString(), "--inputs", goldens().toString(), "--out", out.toString(),
                "--decode", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens()); SafetensorsFile ours = SafetensorsFile.open(out)) {
            for (String name : FLOAT_GOLDENS) Goldens.assertClose(label + " " + name, golden.require(name), ours.require(name));
            for (String name : List.of("decode_tokens", "mrope_position_ids", "rope_deltas")) {
                Goldens.assertSameIds(label + " " + name, golden.require(name), ours.require(name));
            }
        }
    }

    @Test
    void gridThatContradictsPixelRowsIsAClearError(@TempDir Path tmp) {
        Cli.Result r = traceWith(tmp, new long[] {1, 6, 12}, null);
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("accounts for 72 patches (sum of t*h*w) but pixel_values has 60 rows"), r.err());
    }

    @Test
    void gridThatTheMergeSizeDoesNotDivideIsAClearError(@TempDir Path tmp) {
        // 5 x 12 = 60 patches, as many as pixel_values has, but 5 rows cannot be merged 2 x 2.
        Cli.Result r = traceWith(tmp, new long[] {1, 5, 12}, null);
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("image_grid_thw row 0 (1, 5, 12): height and width must be multiples of"
                + " vision_config.spatial_merge_size = 2"), r.err());
    }

    @Test
    void imagePadCountThatContradictsTheGridIsAClearError(@TempDir Path tmp) {
        long[] ids;
        try (SafetensorsFile golden = SafetensorsFile.open(goldens())) {
            ids = golden.require("input_ids").toLongArray();
        }
        int firstPad = 0;
        while (ids[firstPad] != 505) firstPad++;
        ids[firstPad + 3] = 7;   // one <|image_pad|> fewer
        Cli.Result r = traceWith(tmp, null, ids);
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("input_ids hold 14 <|image_pad|> tokens (id 505) but image_grid_thw"), r.err());
        assertTrue(r.err().contains("gives 15 image features"), r.err());
    }

    /** The golden inputs with image_grid_thw or input_ids replaced. */
    private static Cli.Result traceWith(Path tmp, long[] grid, long[] ids) {
        Path inputs = tmp.resolve("inputs.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(goldens())) {
            WeightTensor pixels = golden.require("pixel_values"), inputIds = golden.require("input_ids");
            new SafetensorsWriter()
                    .i64("input_ids", ids != null ? ids : inputIds.toLongArray(), inputIds.shape())
                    .f32("pixel_values", pixels.toFloatArray(), pixels.shape())
                    .i64("image_grid_thw", grid != null ? grid : golden.require("image_grid_thw").toLongArray(), 1, 3)
                    .write(inputs);
        }
        return Cli.akvq("trace", "--model", Fixtures.model("qwen2vl").toString(), "--inputs", inputs.toString(),
                "--out", tmp.resolve("trace.safetensors").toString());
    }
}
