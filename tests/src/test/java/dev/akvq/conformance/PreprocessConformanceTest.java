package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.tensor.DType;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code akvq preprocess}, end to end, against the VLM model fixtures: each model's image.png
 * and preprocessor_config.json give its goldens' pixel_values (and extras) bit for bit, and
 * llava-shapes' two eval prompts (12 images each) give {@code case0.pixel_values} and
 * {@code case1.pixel_values}.
 */
class PreprocessConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llava", "idefics3", "qwen2vl"})
    void theModelFixturesImageGivesItsGoldens(String model, @TempDir Path tmp) {
        Path dir = Fixtures.model(model);
        Path out = tmp.resolve("pixels.safetensors");
        Cli.Result r = Cli.akvq("preprocess", "--processor", dir.toString(), "--image", dir.resolve("image.png").toString(),
                "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile ours = SafetensorsFile.open(out); SafetensorsFile golden = SafetensorsFile.open(dir.resolve("goldens.safetensors"))) {
            assertTrue(ours.names().contains("pixel_values"), ours.names().toString());
            for (String name : ours.names()) assertSame(name, golden.require(name), ours.require(name));
            List<String> extras = switch (model) {
                case "idefics3" -> List.of("pixel_attention_mask", "rows_cols");
                case "qwen2vl" -> List.of("image_grid_thw");
                default -> List.of();
            };
            for (String e : extras) assertTrue(ours.names().contains(e), model + " writes " + e + ": " + ours.names());
        }
    }

    @Test
    void llavaShapesEvalPromptsGiveBothCases(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("llava-shapes");
        JsonObject goldens = Json.readObjectFile(dir.resolve("goldens.json"));
        List<String> prompts = Files.readAllLines(dir.resolve("eval/prompts.jsonl"));
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("goldens.safetensors"))) {
            for (var c : goldens.requireArray("cases").elements()) {
                JsonObject kase = (JsonObject) c;
                String id = kase.requireString("eval_id");
                JsonObject row = prompts.stream().map(l -> Json.parseObject(l, "prompts.jsonl"))
                        .filter(o -> o.requireString("id").equals(id)).findFirst().orElseThrow(() -> new AssertionError(id + " not in prompts.jsonl"));
                List<String> args = new ArrayList<>(List.of("preprocess", "--processor", dir.toString()));
                for (var image : row.requireArray("images").elements()) {
                    args.add("--image");
                    args.add(dir.resolve("eval").resolve(((JsonString) image).value()).toString());
                }
                Path out = tmp.resolve(id + ".safetensors");
                args.add("--out");
                args.add(out.toString());
                Cli.Result r = Cli.akvq(args.toArray(String[]::new));
                assertEquals(0, r.status(), r.err());
                try (SafetensorsFile ours = SafetensorsFile.open(out)) {
                    String name = "case" + kase.requireInt("case") + ".pixel_values";
                    assertSame(name, golden.require(name), ours.require("pixel_values"));
                }
            }
        }
    }

    @Test
    void aFileThatIsNotAnImageIsNamed(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("notes.png");
        Files.writeString(bad, "hello");
        Cli.Result r = Cli.akvq("preprocess", "--processor", Fixtures.model("llava").toString(), "--image", bad.toString(),
                "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(1, r.status());
        assertEquals("akvq preprocess: error: " + bad + ": not an image (no PNG, JPEG, BMP, GIF or TIFF signature;"
                + " first bytes 68656c6c6f)", r.errorLine());      // "hello"
        Cli.Result missing = Cli.akvq("preprocess", "--processor", Fixtures.model("llava").toString(), "--out", "o.safetensors");
        assertEquals(2, missing.status());
        assertEquals("akvq preprocess: 'preprocess' needs at least one --image FILE", missing.usageError());
    }

    /** Same dtype, shape and elements: float32 bit for bit, integers exactly; the message gives the largest difference. */
    static void assertSame(String name, WeightTensor golden, WeightTensor ours) {
        assertArrayEquals(golden.shape(), ours.shape(), name + ": shape");
        if (golden.dtype() == DType.F32) {
            assertEquals(DType.F32, ours.dtype(), name + ": dtype");
            float[] g = golden.toFloatArray(), o = ours.toFloatArray();
            int differ = 0;
            double worst = 0;
            for (int i = 0; i < g.length; i++) {
                if (Float.floatToIntBits(g[i]) != Float.floatToIntBits(o[i])) {
                    differ++;
                    worst = Math.max(worst, Math.abs((double) g[i] - o[i]));
                }
            }
            if (differ > 0) fail(name + ": " + differ + " of " + g.length + " elements differ; largest |diff| " + worst);
        } else {
            assertEquals(golden.dtype(), ours.dtype(), name + ": dtype");
            assertArrayEquals(bytes(golden), bytes(ours), name);
        }
    }

    private static byte[] bytes(WeightTensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }
}
