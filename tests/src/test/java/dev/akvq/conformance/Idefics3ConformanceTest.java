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
 * The idefics3 fixture (SmolVLM layout) through {@code akvq trace}: every golden compared, vision
 * tower, pixel shuffle, connector, merge, decoder and 8 greedy steps, for F32 and BF16 weights
 * (the BF16 file holds the same values, so the same goldens apply).
 */
class Idefics3ConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"idefics3", "idefics3/bf16"})
    void everyIntermediateAndGreedyDecode(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model("idefics3").resolve("goldens.safetensors");
        Path out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", out.toString(), "--decode", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("vision_hidden_states.0", "vision_hidden_states.1",
                    "vision_hidden_states.2", "vision_features", "pixel_shuffle_output", "projector_output",
                    "decoder_inputs_embeds", "decoder_final_norm_out", "logits", "decode_logits"));
            for (int l = 0; l < 2; l++) {
                names.addAll(List.of("decoder_layer_out." + l, "attn_probs." + l, "kv.key." + l, "kv.value." + l));
            }
            for (String name : names) Goldens.assertClose(model + " " + name, golden.require(name), ours.require(name));
            Goldens.assertSameIds("decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
            Goldens.assertSameIds("position_ids", golden.require("position_ids"), ours.require("position_ids"));
        }
    }
}
