package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The llava fixture (F32 and BF16 weights) and both llava-shapes golden cases through
 * {@code akvq trace}: every golden compared, largest difference within 1e-4 of the tensor's
 * max |value|, greedy tokens exact.
 */
class LlavaConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llava", "llava/bf16"})
    void everyIntermediateOfTheFixtureAndEightGreedyTokens(String model, @TempDir Path tmp) {
        Path goldens = Fixtures.model("llava").resolve("goldens.safetensors");
        Path out = tmp.resolve("trace.safetensors");
        var r = Cli.akvq("trace", "--model", Fixtures.model(model).toString(), "--inputs", goldens.toString(),
                "--out", out.toString(), "--decode", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("pixel_values", "vision_features", "projector_output",
                    "decoder_inputs_embeds", "decoder_final_norm_out", "logits", "decode_logits"));
            for (int i = 0; i <= 3; i++) names.add("vision_hidden_states." + i);
            for (int l = 0; l < 2; l++) {
                names.addAll(List.of("decoder_layer_out." + l, "attn_probs." + l, "kv.key." + l, "kv.value." + l));
            }
            for (String name : names) Goldens.assertClose(model + " " + name, golden.require(name), ours.require(name));
            Goldens.assertSameIds("decode_tokens", golden.require("decode_tokens"), ours.require("decode_tokens"));
            Goldens.assertSameIds("position_ids", golden.require("position_ids"), ours.require("position_ids"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"case0.", "case1."})
    void llavaShapesGoldenCases(String prefix, @TempDir Path tmp) {
        Path dir = Fixtures.model("llava-shapes"), goldens = dir.resolve("goldens.safetensors");
        Path out = tmp.resolve("trace.safetensors");
        int steps;
        try (SafetensorsFile golden = SafetensorsFile.open(goldens)) {
            steps = (int) golden.require(prefix + "decode_tokens").dim(1);
        }
        var r = Cli.akvq("trace", "--model", dir.toString(), "--inputs", goldens.toString(), "--prefix", prefix,
                "--out", out.toString(), "--decode", String.valueOf(steps), "--threads", "2");
        assertEquals(0, r.status(), r.err());
        int[] taskVocabulary = taskVocabulary(dir.resolve("goldens.json"));
        int vocab = 50259;
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("pixel_values", "vision_features", "projector_output",
                    "decoder_inputs_embeds", "decoder_final_norm_out"));
            for (int l = 0; l < 6; l++) names.add("decoder_layer_out." + l);
            for (String name : names) Goldens.assertClose(prefix + name, golden.require(prefix + name), ours.require(name));
            Goldens.assertSameIds("decode_tokens", golden.require(prefix + "decode_tokens"), ours.require("decode_tokens"));

            WeightTensor logits = ours.require("logits");
            int seq = (int) logits.dim(1);
            float[] all = logits.toFloatArray();
            Goldens.assertClose(prefix + "logits_last", golden.require(prefix + "logits_last").toFloatArray(),
                    Arrays.copyOfRange(all, (seq - 1) * vocab, seq * vocab));

            // decode_logits at the task vocabulary, and the largest logit over every other id.
            float[] stepLogits = ours.require("decode_logits").toFloatArray();
            float[] atTask = new float[steps * taskVocabulary.length], maxOther = new float[steps];
            for (int s = 0; s < steps; s++) {
                boolean[] inTask = new boolean[vocab];
                for (int i = 0; i < taskVocabulary.length; i++) {
                    atTask[s * taskVocabulary.length + i] = stepLogits[s * vocab + taskVocabulary[i]];
                    inTask[taskVocabulary[i]] = true;
                }
                float m = Float.NEGATIVE_INFINITY;
                for (int id = 0; id < vocab; id++) if (!inTask[id]) m = Math.max(m, stepLogits[s * vocab + id]);
                maxOther[s] = m;
            }
            Goldens.assertClose(prefix + "decode_logits_task_vocab", golden.require(prefix + "decode_logits_task_vocab").toFloatArray(), atTask);
            Goldens.assertClose(prefix + "decode_logits_max_other", golden.require(prefix + "decode_logits_max_other").toFloatArray(), maxOther);
        }
    }

    @Test
    void anImageTokenCountThatDoesNotMatchTheImagesIsAClearError(@TempDir Path tmp) throws Exception {
        Path goldens = Fixtures.model("llava").resolve("goldens.safetensors");
        Path inputs = tmp.resolve("in.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(goldens)) {
            long[] ids = golden.require("input_ids").toLongArray();
            long[] shorter = Arrays.copyOf(ids, ids.length - 1);
            shorter[7] = 5;   // one image token fewer than the image needs
            WeightTensor pixels = golden.require("pixel_values");
            new dev.akvq.weights.SafetensorsWriter().i64("input_ids", shorter, 1, shorter.length)
                    .f32("pixel_values", pixels.toFloatArray(), pixels.shape()).write(inputs);
        }
        var r = Cli.akvq("trace", "--model", Fixtures.model("llava").toString(), "--inputs", inputs.toString(),
                "--out", tmp.resolve("out.safetensors").toString());
        assertEquals(1, r.status(), r.err());
        assertEquals("akvq trace: error: the prompt has 15 image tokens (id 511, image_token_index of config.json), 1 image need 16"
                + " (16 per image) (HINT: expand each <image> to 16 tokens, as LlavaPrompt does)", r.errorLine());
    }

    /** goldens.json's task_vocabulary: the ids at which decode_logits_task_vocab was kept. */
    static int[] taskVocabulary(Path goldensJson) {
        return dev.akvq.weights.json.Json.readObjectFile(goldensJson).requireArray("task_vocabulary").elements().stream()
                .mapToInt(v -> ((dev.akvq.weights.json.JsonNumber) v).intValueExact().orElseThrow()).toArray();
    }
}
