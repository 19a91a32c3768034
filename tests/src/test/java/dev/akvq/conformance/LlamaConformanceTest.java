package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.SafetensorsFile;
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
        var r = InspectCommandTest.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
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
}
