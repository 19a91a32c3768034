package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The llama fixture through {@code akvq trace}, every golden compared: F32 and BF16 weights (the
 * BF16 file holds the same values, so the same goldens apply), single prompt and padded batch.
 */
class LlamaConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama/bf16"})
    void singlePromptEveryIntermediateAndGreedyDecode(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model("llama").resolve("goldens.safetensors");
        Path out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", out.toString(), "--decode", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("decoder_inputs_embeds", "decoder_final_norm_out", "logits",
                    "decode_logits"));
            for (int l = 0; l < 2; l++) {
                names.addAll(List.of("decoder_layer_out." + l, "attn_probs." + l, "kv.key." + l, "kv.value." + l));
            }
            for (String name : names) Goldens.assertClose(model + " " + name, golden.require(name), ours.require(name));
            Goldens.assertSameIds("decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
            Goldens.assertSameIds("position_ids", golden.require("position_ids"), ours.require("position_ids"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama/bf16"})
    void leftPaddedBatchMatchesAtEveryRealPositionAndDecodesTheSame(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model("llama").resolve("goldens.safetensors");
        Path inputs = tmp.resolve("batch-inputs.safetensors"), out = tmp.resolve("trace.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(goldens)) {
            WeightTensor ids = golden.require("batch.input_ids"), mask = golden.require("batch.attention_mask");
            new SafetensorsWriter().i64("input_ids", ids.toLongArray(), ids.shape())
                    .i64("attention_mask", mask.toLongArray(), mask.shape()).write(inputs);
        }
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", inputs.toString(),
                "--out", out.toString(), "--decode", "8");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            Goldens.assertSameIds("position_ids", golden.require("batch.position_ids"), ours.require("position_ids"));
            Goldens.assertSameIds("decode_tokens", golden.require("batch.decode_tokens"), ours.require("decode_tokens"));
            Goldens.assertClose(model + " decode_logits", golden.require("batch.decode_logits"), ours.require("decode_logits"));
            // Logits at padded positions are whatever transformers computes there; compare real tokens only.
            long[] maskValues = golden.require("batch.attention_mask").toLongArray();
            float[] g = golden.require("batch.logits").toFloatArray(), o = ours.require("logits").toFloatArray();
            int vocab = 512, compared = 0;
            for (int p = 0; p < maskValues.length; p++) {
                if (maskValues[p] == 0) continue;
                Goldens.assertClose(model + " logits at " + p, java.util.Arrays.copyOfRange(g, p * vocab, (p + 1) * vocab),
                        java.util.Arrays.copyOfRange(o, p * vocab, (p + 1) * vocab));
                compared++;
            }
            assertEquals(37 + 21, compared);
        }
    }
}
