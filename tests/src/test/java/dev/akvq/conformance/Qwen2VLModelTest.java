package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.Trace;
import dev.akvq.model.qwen2vl.ImageGrid;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.model.qwen2vl.Qwen2VLPrompt;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Qwen2-VL pieces the trace does not show: which prompt rows the cache is told are vision,
 * and the prompt builder's ids through a real Qwen tokenizer (the qwen3 fixture's, which has
 * Qwen2-VL's special tokens as added tokens).
 */
class Qwen2VLModelTest {

    @Test
    void imagePadRowsAndOnlyThoseAreVision() {
        var dir = Fixtures.model("qwen2vl");
        Qwen2VLConfig config = (Qwen2VLConfig) ModelConfig.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir); SafetensorsFile golden = SafetensorsFile.open(dir.resolve("goldens.safetensors"));
             WorkerPool pool = WorkerPool.create(1)) {
            int[] ids = golden.require("input_ids").toIntArray();
            PreparedPrompt prompt = Qwen2VLModel.load(checkpoint, config, pool).prepare(ids,
                    golden.require("pixel_values").toFloatArray(), ImageGrid.fromThw(golden.require("image_grid_thw").toLongArray()),
                    Trace.NONE);
            Modality[] expected = new Modality[ids.length];
            for (int t = 0; t < ids.length; t++) expected[t] = ids[t] == 505 ? Modality.VISION : Modality.TEXT;
            assertArrayEquals(expected, prompt.modality());
            assertEquals(15, Arrays.stream(prompt.modality()).filter(m -> m == Modality.VISION).count());
        }
    }

    @Test
    void promptIdsThroughAQwenTokenizerHoldTheExpandedPadRun() {
        Tokenizer tokenizer = Tokenizer.load(Fixtures.root().resolve("tokenizers/qwen3"));
        String prompt = new Qwen2VLPrompt().user().image().text("Describe this image.").build();
        int[] ids = Qwen2VLPrompt.encode(tokenizer, prompt, List.of(new ImageGrid(1, 6, 10)), List.of(), 2);
        int start = -1;
        for (int i = 0; i < ids.length; i++) if (ids[i] == 151652) start = i;
        int[] run = Arrays.copyOfRange(ids, start, start + 17);
        int[] expected = new int[17];
        Arrays.fill(expected, 151655);
        expected[0] = 151652;
        expected[16] = 151653;
        assertArrayEquals(expected, run);
        assertEquals(151644, ids[0]);
        int[] tail = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", false);
        assertArrayEquals(tail, Arrays.copyOfRange(ids, ids.length - tail.length, ids.length));
        assertEquals(prompt.replace("<|image_pad|>", "<|image_pad|>".repeat(15)), tokenizer.decode(ids, false));
    }
}
