package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.tensor.DType;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole chain for each VLM fixture, without the goldens' pixel inputs: image.png through
 * {@code akvq preprocess} (the model folder's preprocessor_config.json), then {@code akvq trace}
 * on the golden input_ids with those pixel values (and mask, grid), then every golden tensor
 * compared (floats within 1e-4 of max |golden|, ids, masks and the 8 greedy tokens exactly).
 * A golden is taken from the trace, or, for what only the processor writes (rows_cols,
 * pixel_attention_mask, image_grid_thw), from the preprocess output; a golden found in neither fails.
 */
class ImageToTraceChainTest {
    /** The reference's own inputs: given to the chain (input_ids) or not part of it (the mask of an unpadded prompt, the raw image). */
    private static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "image_uint8");

    @ParameterizedTest
    @ValueSource(strings = {"llava", "idefics3", "qwen2vl"})
    void imageThroughPreprocessAndTraceGivesEveryGolden(String model, @TempDir Path tmp) {
        Path dir = Fixtures.model(model), goldens = dir.resolve("goldens.safetensors");
        Path pixels = tmp.resolve("pixels.safetensors"), inputs = tmp.resolve("inputs.safetensors"), out = tmp.resolve("trace.safetensors");
        var pre = Cli.akvq("preprocess", "--processor", dir.toString(), "--image", dir.resolve("image.png").toString(),
                "--out", pixels.toString());
        assertEquals(0, pre.status(), pre.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile processed = SafetensorsFile.open(pixels)) {
            SafetensorsWriter in = new SafetensorsWriter();
            WeightTensor ids = golden.require("input_ids");
            in.i64("input_ids", ids.toLongArray(), ids.shape());
            for (String name : processed.names()) copy(processed.require(name), name, in);
            in.write(inputs);
        }
        var r = Cli.akvq("trace", "--model", dir.toString(), "--inputs", inputs.toString(), "--out", out.toString(),
                "--decode", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile golden = SafetensorsFile.open(goldens); SafetensorsFile ours = SafetensorsFile.open(out);
             SafetensorsFile processed = SafetensorsFile.open(pixels)) {
            List<String> compared = new ArrayList<>();
            for (String name : golden.names()) {
                if (INPUTS.contains(name)) continue;
                WeightTensor g = golden.require(name);
                WeightTensor o = ours.find(name).or(() -> processed.find(name))
                        .orElseThrow(() -> new AssertionError(model + ": golden " + name + " is in neither the trace nor the preprocess output"));
                if (g.dtype() == DType.F32) Goldens.assertClose(model + " " + name, g, o);
                else Goldens.assertSameIds(model + " " + name, g, o);
                compared.add(name);
            }
            assertTrue(compared.containsAll(List.of("pixel_values", "projector_output", "logits", "decode_logits", "decode_tokens")),
                    model + ": compared " + compared);
        }
    }

    private static void copy(WeightTensor t, String name, SafetensorsWriter out) {
        switch (t.dtype()) {
            case F32 -> out.f32(name, t.toFloatArray(), t.shape());
            case I64 -> out.i64(name, t.toLongArray(), t.shape());
            case U8 -> out.u8(name, t.data().toArray(ValueLayout.JAVA_BYTE), t.shape());
            default -> fail(name + ": akvq preprocess wrote " + t.dtype() + ", expected F32, I64 or U8");
        }
    }
}
