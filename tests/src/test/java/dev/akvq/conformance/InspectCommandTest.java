package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code akvq inspect} on every fixture checkpoint, and on broken copies of one. */
class InspectCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama/bf16", "llava", "llava/bf16", "idefics3", "idefics3/bf16",
            "qwen2vl", "qwen2vl/bf16", "llava-shapes"})
    void everyFixtureCheckpointLoadsWithEveryExpectedTensor(String name) {
        Cli.Result r = Cli.akvq("inspect", "--model", Fixtures.model(name).toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("layout        all "), r.out());
        assertTrue(r.out().contains(name.endsWith("bf16") ? "(BF16: " : "(F32: "), r.out());
    }

    @Test
    void reportsExactParameterCountOfTheLlamaFixture() {
        // 512x64 embed + 512x64 lm_head + 64 norm + 2 layers x (2x64 norms + 64x64 q + 2x32x64 k,v
        // + 64x64 o + 3x176x64 mlp) = 158,016.
        Cli.Result r = Cli.akvq("inspect", "--model", Fixtures.model("llama").toString());
        assertTrue(r.out().contains("parameters    158,016 "), r.out());
    }

    @Test
    void configThatContradictsTheWeightsFailsNamingTheTensorAndBothShapes(@TempDir Path tmp) throws IOException {
        Path dir = copyOf(Fixtures.model("llama"), tmp);
        rewriteConfig(dir, "\"intermediate_size\": 176", "\"intermediate_size\": 200");
        Cli.Result r = Cli.akvq("inspect", "--model", dir.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("shape of model.layers.0.mlp.gate_proj.weight: expected [200, 64] from config.json, found [176, 64]"), r.err());
        assertTrue(r.err().contains("cannot be loaded"), r.err());
    }

    @Test
    void missingLayersAreListed(@TempDir Path tmp) throws IOException {
        Path dir = copyOf(Fixtures.model("llama"), tmp);
        rewriteConfig(dir, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        Cli.Result r = Cli.akvq("inspect", "--model", dir.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("missing model.layers.2.self_attn.q_proj.weight [64, 64]"), r.err());
        assertTrue(r.err().contains("9 of 30 expected tensors"), r.err());
    }

    @Test
    void fewerLayersInConfigThanInTheWeightsIsAnErrorUnlessAllowed(@TempDir Path tmp) throws IOException {
        Path dir = copyOf(Fixtures.model("llama"), tmp);
        rewriteConfig(dir, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        Cli.Result r = Cli.akvq("inspect", "--model", dir.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("unused        model.layers.1.self_attn.q_proj.weight (not read by this architecture)"), r.out());
        assertTrue(r.err().contains("9 tensors not read by the architecture config.json describes"), r.err());
        Cli.Result allowed = Cli.akvq("inspect", "--model", dir.toString(), "--allow-unused-weights");
        assertEquals(0, allowed.status(), allowed.err());
        assertTrue(allowed.out().contains("unused        model.layers.1.mlp.down_proj.weight"), allowed.out());
    }

    @Test
    void aNonFiniteWeightIsNamedWithItsElement(@TempDir Path tmp) throws IOException {
        for (String variant : new String[] {"llama", "llama/bf16"}) {
            Path dir = Files.createDirectories(tmp.resolve(variant));
            copyOf(Fixtures.model(variant), dir);
            Path weights = dir.resolve("model.safetensors");
            boolean bf16 = variant.endsWith("bf16");
            Safetensors.poke(weights, "model.layers.1.self_attn.q_proj.weight", 70, bf16 ? new byte[] {(byte) 0xC0, 0x7F}
                    : new byte[] {0, 0, (byte) 0x80, (byte) 0xFF});   // NaN in BF16, -Inf in F32
            Cli.Result r = Cli.akvq("inspect", "--model", dir.toString());
            assertEquals(1, r.status(), r.out() + r.err());
            assertTrue(r.err().contains("non-finite model.layers.1.self_attn.q_proj.weight [64, 64] " + (bf16 ? "BF16" : "F32") + ": element 70 is "
                    + (bf16 ? "NaN or infinite" : "-Infinity") + " (model.safetensors)"), r.err());
            assertTrue(r.out().contains("1 tensor with NaN or infinite values"), r.out());
        }
        Cli.Result clean = Cli.akvq("inspect", "--model", Fixtures.model("llama/bf16").toString());
        assertTrue(clean.out().matches("(?s).*values +\\S+ \\S+ of floats read in .* s \\(.* GB/s\\): all finite\n.*"), clean.out());
    }

    @Test
    void missingConfigIsAClearError(@TempDir Path tmp) throws IOException {
        Files.copy(Fixtures.model("llama").resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Cli.Result r = Cli.akvq("inspect", "--model", tmp.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("config.json"), r.err());
    }

    @Test
    void truncatedWeightsAreAClearError(@TempDir Path tmp) throws IOException {
        Path dir = copyOf(Fixtures.model("llama"), tmp);
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Cli.Result r = Cli.akvq("inspect", "--model", dir.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("model.safetensors"), r.err());
    }

    @Test
    void usageErrorsNameTheFlag() {
        Cli.Result noModel = Cli.akvq("inspect");
        assertEquals(2, noModel.status());
        assertTrue(noModel.err().contains("--model"), noModel.err());
        Cli.Result unknown = Cli.akvq("inspect", "--modle", "x");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown option --modle"), unknown.err());
        Cli.Result notDir = Cli.akvq("inspect", "--model", "/nonexistent/dir");
        assertEquals(2, notDir.status());
        assertTrue(notDir.err().contains("--model /nonexistent/dir: no such directory"), notDir.err());
    }

    @Test
    void demoInspectsEveryBundledCheckpointDecodesLikeTransformersAndComparesCachesOnLlavaShapes() {
        Cli.Result r = Cli.akvq("demo", "--fixtures", Fixtures.root().toString(), "--threads", "2");
        assertEquals(0, r.status(), r.err() + r.out());
        assertEquals(9, r.out().split("\\n  \\S+ +ok ", -1).length - 1, r.out());
        assertTrue(r.out().contains("--kv fp32  prompt 37 tokens, generated [275, 427, 27, 28, 377, 440, 11, 330]: same as transformers"),
                r.out());
        // The labels themselves are calibrate's (CalibrateCommandTest); the demo shows one per layer.
        assertTrue(r.out().matches("(?s).*layer table from FP32 attention on the three eval/ prompts: ((TSA|PSA) ){5}(TSA|PSA) .*"),
                "the demo calibrates a label for each of the six layers\n" + r.out());
        assertTrue(r.out().matches("(?s).*public-000 +17 +What color is the triangle\\? +The triangle is red\\. +ok +ok +ok +ok\n.*"),
                r.out());
        assertTrue(r.out().contains("prompt mismatches: 0; fp32 differs from fp32.generated_ids on 0 of 6 prompts"), r.out());
        for (String mode : new String[] {"fp16", "rtn2", "kivi2", "akvq"}) {
            assertTrue(r.out().matches("(?s).*\\n  " + mode + " +5/6 +5/6 +6/6 .*"), mode + "\n" + r.out());
        }
    }

    @Test
    void everyCommandHasHelpEndingWithExamples() {
        for (String command : new String[] {"demo", "inspect", "run", "trace", "preprocess", "eval", "calibrate", "tokenize"}) {
            Cli.Result r = Cli.akvq(command, "--help");
            assertEquals(0, r.status(), command);
            assertTrue(r.out().contains("Usage: akvq " + command), command + ": " + r.out());
            assertTrue(r.out().contains("Example"), command + ": " + r.out());
        }
    }

    private static Path copyOf(Path source, Path target) throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(source.resolve(f), target.resolve(f));
        }
        return target;
    }

    private static void rewriteConfig(Path dir, String from, String to) throws IOException {
        Path config = dir.resolve("config.json");
        String text = Files.readString(config);
        assertTrue(text.contains(from), "fixture config.json should contain " + from);
        Files.writeString(config, text.replace(from, to));
    }

}
