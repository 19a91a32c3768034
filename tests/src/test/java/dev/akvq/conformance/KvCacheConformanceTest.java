package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The KV-cache settings through {@code akvq trace} on the llama fixture: the Walsh-Hadamard
 * rotation (keys online, values folded into v_proj/o_proj) leaves FP32 logits equal to the
 * unrotated goldens; the quantized modes run and account their bytes; every mode of the ablation
 * ladder is measured against the goldens (properties and bounds only: which mode is closer is the
 * README's measurement, never a test).
 */
class KvCacheConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama/bf16"})
    void rotationWithoutQuantizationLeavesEveryLogitEqualToTheGoldens(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model("llama").resolve("goldens.safetensors"), out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", out.toString(), "--decode", "8", "--kv", "fp32", "--kv-rotation", "on");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            for (String name : List.of("logits", "decode_logits", "decoder_layer_out.0", "decoder_layer_out.1", "attn_probs.0",
                    "attn_probs.1", "decoder_final_norm_out")) {
                Goldens.assertClose(model + " rotated " + name, golden.require(name), ours.require(name));
            }
            Goldens.assertSameIds("decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
            // The cache really holds rotated rows (else this test could not fail for a missing rotation).
            for (String name : List.of("kv.key.0", "kv.value.1")) {
                assertNotNull(Goldens.mismatch(golden.require(name).toFloatArray(), ours.require(name).toFloatArray(), 1e-2),
                        name + " should be rotated");
            }
        }
    }

    @Test
    void quantizedModesTraceAndReportTheirBytes(@TempDir Path tmp) {
        Path goldens = Fixtures.model("llama").resolve("goldens.safetensors");
        for (String mode : List.of("rtn2", "kivi2", "akvq")) {
            Path out = tmp.resolve(mode + ".safetensors");
            List<String> args = new java.util.ArrayList<>(List.of("trace", "--model", Fixtures.model("llama").toString(), "--inputs",
                    goldens.toString(), "--out", out.toString(), "--decode", "4", "--kv", mode, "--kv-stats"));
            if (mode.equals("akvq")) args.addAll(List.of("--kv-window", "8", "--kv-pivots", "2"));   // settings only akvq reads
            var r = Cli.akvq(args.toArray(String[]::new));
            assertEquals(0, r.status(), r.err());
            try (SafetensorsFile trace = SafetensorsFile.open(out)) {
                assertEquals(4, trace.require("decode_tokens").elementCount(), mode);
            }
            // 40 cached tokens (the prompt's 37 and the first 3 decoded; the last one is never fed back) in 2 layers,
            // 2 KV heads of 16 channels, keys and values.
            double bits = totalBitsPerValue(r.err(), 40 * 2 * 2 * 16 * 2);
            // kivi2 keeps its last 128 tokens in FP16: all 40 here.
            if (mode.equals("kivi2")) assertEquals(16.0, bits, 0.0, r.err());
        }
        // 41 tokens (37 + 4 decoded) in each of 2 layers, 2 KV heads of 16: rtn2 holds 2 bits + 24 bits per group of 16.
        var r = Cli.akvq("trace", "--model", Fixtures.model("llama").toString(), "--inputs", goldens.toString(),
                "--out", tmp.resolve("x.safetensors").toString(), "--decode", "5", "--kv", "rtn2", "--kv-stats");
        assertEquals(3.5, totalBitsPerValue(r.err(), 41 * 2 * 2 * 16 * 2), 0.0, r.err());
        var bad = Cli.akvq("trace", "--model", Fixtures.model("llama").toString(), "--inputs", goldens.toString(),
                "--out", tmp.resolve("y.safetensors").toString(), "--kv", "akvq", "--kv-window", "-1");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--kv-window expects a whole number >= 0"), bad.err());
        bad = Cli.akvq("trace", "--model", Fixtures.model("llama").toString(), "--inputs", goldens.toString(),
                "--out", tmp.resolve("y.safetensors").toString(), "--kv", "akvq", "--kv-layers", "nope.json");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("neither a file nor a preset"), bad.err());
    }

    @Test
    void layerTableNextToTheModelIsReadForAkvqOnly(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("llama");
        java.nio.file.Files.createDirectories(model);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            java.nio.file.Files.copy(Fixtures.model("llama").resolve(f), model.resolve(f));
        }
        java.nio.file.Files.writeString(model.resolve("akvq-layers.json"), "{\"layers\": [\"PSA\", \"TSA\"]}");
        var r = Cli.akvq("run", "--model", model.toString(), "--prompt-ids", "1,20,30,40,50,60,70,80", "--max-new-tokens", "2",
                "--temperature", "0", "--kv", "akvq", "--kv-window", "2", "--kv-pivots", "1", "--kv-stats");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("layers " + model.resolve("akvq-layers.json")), r.err());
        // 9 tokens cached (8 + 1 fed back), 2 in the window. Layer 0 is PSA: one pivot, 6 at INT2;
        // layer 1 is TSA: its 7 text tokens outside the window at INT4.
        assertTrue(r.err().matches("(?s).*fp16 pivots +1 tokens.*"), r.err());
        assertTrue(r.err().matches("(?s).*int2 +6 tokens.*"), r.err());
        assertTrue(r.err().matches("(?s).*int4 +7 tokens.*"), r.err());
        java.nio.file.Files.writeString(model.resolve("akvq-layers.json"), "{\"layers\": [\"PSA\"]}");
        var wrong = Cli.akvq("run", "--model", model.toString(), "--prompt-ids", "1,20", "--max-new-tokens", "1", "--kv", "akvq");
        assertEquals(1, wrong.status(), wrong.err());
        assertTrue(wrong.err().contains("lists 1 layers, the model has 2"), wrong.err());
        var fp32 = Cli.akvq("run", "--model", model.toString(), "--prompt-ids", "1,20", "--max-new-tokens", "1", "--kv", "fp32");
        assertEquals(0, fp32.status(), fp32.err());
    }

    @Test
    void runDecodesWithAkvqAndPrintsTheCacheBytes() {
        var r = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", "1,20,30,40,50,60,70,80",
                "--max-new-tokens", "12", "--temperature", "0", "--kv", "akvq", "--kv-window", "4", "--kv-pivots", "1",
                "--kv-layers", "llava-1.6-mistral", "--kv-stats");
        assertEquals(0, r.status(), r.err());
        assertEquals(12, r.out().trim().split(" ").length, r.out());
        // 19 tokens cached (8 + 11 fed back) per layer: 4 in the window, 1 pivot, 14 INT2.
        assertTrue(r.err().matches("(?s).*int2 +28 tokens +784 B.*"), r.err());
        assertTrue(r.err().matches("(?s).*fp16 pivots +2 tokens +256 B.*"), r.err());
        assertTrue(r.err().matches("(?s).*fp16 window +8 tokens +1024 B.*"), r.err());
    }

    @Test
    void everyModeOfTheLadderIsMeasuredAgainstTheGoldens(@TempDir Path tmp) {
        // Properties only: which mode is closer to FP32 is a measurement for the README, never a test.
        List<KvModeReport.Row> rows = KvModeReport.measure(tmp);
        KvModeReport.Row rtn2 = KvModeReport.find(rows, "rtn2"), fp32 = KvModeReport.find(rows, "fp32");
        assertTrue(fp32.logitKl() < 1e-9, "fp32 equals the goldens: KL " + fp32.logitKl());
        KvModeReport.Row psa = KvModeReport.find(rows, "akvq-psa-w0");
        assertTrue(psa.bitsPerValue() < 4.5, "akvq-psa-w0 bits " + psa.bitsPerValue());
        System.out.println(KvModeReport.format(rows));
        for (KvModeReport.Row r : rows) {
            assertTrue(Double.isFinite(r.logitKl()) && r.logitKl() >= 0, r.toString());
            if (!r.equals(fp32)) assertTrue(r.bitsPerValue() < 32, r.toString());
        }
        assertTrue(rtn2.logitKl() > 1e-6, "rtn2 must differ from fp32 (else the report measures nothing)");
    }

    @Test
    void theTotalLineHelperFailsOnAWrongCountOrRatio() {
        assertEquals(8.0, totalBitsPerValue("    total  100 B for 100 values: 8.0000 bits per value", 100));
        org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> totalBitsPerValue("    total  100 B for 100 values: 9.0000 bits per value", 100));
        org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> totalBitsPerValue("    total  100 B for 100 values: 8.0000 bits per value", 200));
    }

    /**
     * The {@code --kv-stats} total line, "total B B for N values: X bits per value": N must be
     * {@code values}, X must be 8·B/N as printed (to 4 decimals); returns X.
     */
    static double totalBitsPerValue(String err, long values) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("total +(\\d+) B for (\\d+) values: ([0-9.]+) bits per value").matcher(err);
        assertTrue(m.find(), err);
        long bytes = Long.parseLong(m.group(1));
        assertEquals(values, Long.parseLong(m.group(2)), err);
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", 8.0 * bytes / values), m.group(3), err);
        return Double.parseDouble(m.group(3));
    }
}
