package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Other LLaVA layouts through {@code akvq trace}: the newer {@code model.language_model.*} key
 * layout gives the same goldens, and a list of feature layers with strategy "full" feeds the
 * projector the named hidden states side by side, class token included (LLaVA-NeXT's form).
 */
class LlavaLayoutTest {

    /** The llava fixture's tensors, renamed and with {@code replace} applied, into {@code dir}. */
    static void copyFixture(Path dir, UnaryOperator<String> rename, String config, String replacedName, float[] replacement,
                            long... replacedShape) throws IOException {
        Path fixture = Fixtures.model("llava");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        Files.copy(fixture.resolve("generation_config.json"), dir.resolve("generation_config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(fixture.resolve("model.safetensors"))) {
            for (WeightTensor t : f.tensors()) {
                if (t.name().equals(replacedName)) w.f32(rename.apply(t.name()), replacement, replacedShape);
                else w.f32(rename.apply(t.name()), t.toFloatArray(), t.shape());
            }
        }
        w.write(dir.resolve("model.safetensors"));
    }

    @Test
    void theNewerModelLanguageModelLayoutGivesTheSameGoldens(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("llava-new-layout"), out = tmp.resolve("trace.safetensors");
        copyFixture(dir, name -> name.startsWith("language_model.model.") ? "model.language_model." + name.substring(21)
                        : name.startsWith("language_model.lm_head.") ? name.substring(15) : "model." + name,
                Files.readString(Fixtures.model("llava").resolve("config.json")), "", null);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertEquals(true, f.find("model.language_model.layers.0.self_attn.q_proj.weight").isPresent());
            assertEquals(true, f.find("lm_head.weight").isPresent());
            assertEquals(true, f.find("model.vision_tower.vision_model.pre_layrnorm.weight").isPresent());
        }
        Path goldens = Fixtures.model("llava").resolve("goldens.safetensors");
        var r = Cli.akvq("trace", "--model", dir.toString(), "--inputs", goldens.toString(), "--out", out.toString(), "--decode", "8");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            for (String name : new String[] {"vision_features", "projector_output", "logits", "decode_logits"}) {
                Goldens.assertClose("new layout " + name, golden.require(name), ours.require(name));
            }
            Goldens.assertSameIds("decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
        }
    }

    @Test
    void aListOfFeatureLayersWithStrategyFullConcatenatesThemClassTokenIncluded(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("llava-layers"), out = tmp.resolve("trace.safetensors"), inputs = tmp.resolve("in.safetensors");
        String config = Files.readString(Fixtures.model("llava").resolve("config.json"))
                .replace("\"vision_feature_layer\": -2", "\"vision_feature_layer\": [0, -2]")
                .replace("\"vision_feature_select_strategy\": \"default\"", "\"vision_feature_select_strategy\": \"full\"");
        float[] linear1 = new float[64 * 128];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < linear1.length; i++) linear1[i] = (float) (0.1 * random.nextGaussian());
        copyFixture(dir, name -> name, config, "multi_modal_projector.linear_1.weight", linear1, 64, 128);
        long[] ids = new long[5 + 17];
        ids[0] = 1;
        for (int t = 1; t < 5; t++) ids[t] = 10 + t;
        Arrays.fill(ids, 5, 22, 511);   // 16 patches + the class token
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model("llava").resolve("goldens.safetensors"))) {
            WeightTensor pixels = golden.require("pixel_values");
            new SafetensorsWriter().i64("input_ids", ids, 1, ids.length).f32("pixel_values", pixels.toFloatArray(), pixels.shape())
                    .write(inputs);
        }
        var r = Cli.akvq("trace", "--model", dir.toString(), "--inputs", inputs.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile ours = SafetensorsFile.open(out)) {
            WeightTensor features = ours.require("vision_features");
            assertArrayEquals(new long[] {1, 17, 128}, features.shape());
            assertArrayEquals(new long[] {1, 17, 64}, ours.require("projector_output").shape());
            float[] f = features.toFloatArray(), s0 = ours.require("vision_hidden_states.0").toFloatArray();
            float[] s2 = ours.require("vision_hidden_states.2").toFloatArray();
            for (int row = 0; row < 17; row++) {
                assertArrayEquals(Arrays.copyOfRange(s0, row * 64, row * 64 + 64), Arrays.copyOfRange(f, row * 128, row * 128 + 64), "layer 0 row " + row);
                assertArrayEquals(Arrays.copyOfRange(s2, row * 64, row * 64 + 64), Arrays.copyOfRange(f, row * 128 + 64, row * 128 + 128),
                        "layer -2 row " + row);
            }
            // The projector rows sit at positions 5..21 of the decoder input.
            float[] embeds = ours.require("decoder_inputs_embeds").toFloatArray(), projected = ours.require("projector_output").toFloatArray();
            assertArrayEquals(projected, Arrays.copyOfRange(embeds, 5 * 64, 22 * 64));
        }
    }
}
