package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The KV-cache settings ({@code --kv-*}) for Qwen2-VL and Idefics3, as quant's KvCacheConformanceTest
 * checks them for Llama: with the Walsh-Hadamard rotation on (keys online, values folded into
 * v_proj/o_proj) and quantization off, {@code akvq trace} still gives the FP32 goldens' logits,
 * layer outputs and attention within 1e-4 and the same greedy tokens, while the cache really
 * holds rotated rows; {@code --kv akvq} (rotation on by default) traces and runs with its bytes
 * accounted.
 */
class VisionKvSettingsTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen2vl", "idefics3"})
    void rotationWithoutQuantizationLeavesTheGoldensLogitsEqual(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model(model).resolve("goldens.safetensors"), out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", out.toString(), "--decode", "8", "--kv", "fp32", "--kv-rotation", "on", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("logits", "decode_logits", "decoder_final_norm_out", "projector_output"));
            for (int l = 0; l < 2; l++) names.addAll(List.of("decoder_layer_out." + l, "attn_probs." + l));
            for (String name : names) Goldens.assertClose(model + " rotated " + name, golden.require(name), ours.require(name));
            Goldens.assertSameIds(model + " decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
            // The cache really holds rotated rows (else this test could not fail for a missing rotation).
            for (String name : List.of("kv.key.0", "kv.value.1")) {
                assertNotNull(Goldens.mismatch(golden.require(name).toFloatArray(), ours.require(name).toFloatArray(), 1e-2),
                        model + " " + name + " should be rotated");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2vl", "idefics3"})
    void akvqTracesAndRunsWithItsBytesAccounted(String model, @TempDir Path tmp) throws IOException {
        Path goldens = Fixtures.model(model).resolve("goldens.safetensors");
        var t = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", tmp.resolve("trace.safetensors").toString(), "--decode", "4", "--kv", "akvq", "--kv-window", "4",
                "--kv-pivots", "2", "--kv-stats", "--threads", "2");
        assertEquals(0, t.status(), t.err());
        assertTrue(t.err().contains("bits per value"), t.err());

        Path dir = LetterTokenizer.copyModel(model, tmp);
        LetterTokenizer tokenizer = model.equals("qwen2vl") ? LetterTokenizer.ofFixture(model, null, Map.of())
                : LetterTokenizer.ofFixture(model, "<s>", Map.of("<s>", 1));
        String prompt = model.equals("qwen2vl")
                ? "<|im_start|>" + tokenizer.spell(20, 21) + "\n<|vision_start|><|image_pad|><|vision_end|>ab<|im_end|>\n"
                : tokenizer.spell(20, 21) + "<image>ab";
        tokenizer.write(dir);
        var r = Cli.akvq("run", "--model", dir.toString(), "--image", Fixtures.model(model).resolve("image.png").toString(),
                "--prompt", prompt, "--max-new-tokens", "3", "--kv", "akvq", "--kv-window", "4", "--kv-pivots", "2",
                "--kv-stats", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("bits per value") && r.err().contains("generated 3 tokens"), r.err());
    }
}
