package dev.akvq.model.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The prompt text against the layout Qwen2-VL-Instruct's chat template and Qwen2VLProcessor 4.47.1 produce. */
class Qwen2VLPromptTest {

    @Test
    void oneImageThenTextWithTheDefaultSystemTurn() {
        String prompt = new Qwen2VLPrompt().user().image().text("Describe this image.").build();
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
                + "<|im_start|>assistant\n", prompt);
    }

    @Test
    void padsExpandToGridTokensOverMergeSquared() {
        String prompt = new Qwen2VLPrompt().user().image().text("Describe this image.").build();
        // The qwen2vl fixture's image: grid (1, 6, 10), merge 2 -> 15 pads.
        String expanded = Qwen2VLPrompt.expand(prompt, List.of(new ImageGrid(1, 6, 10)), List.of(), 2);
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|>"
                + "<|image_pad|>".repeat(15) + "<|vision_end|>Describe this image.<|im_end|>\n<|im_start|>assistant\n", expanded);
    }

    @Test
    void imagesAndVideosExpandInTheirOwnOrderWithAnExplicitSystemAndEarlierTurns() {
        String prompt = new Qwen2VLPrompt().system("Be brief.").user().text("A").image().video().image().text("B")
                .assistant("ok").user().text("C").build();
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nA"
                + "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|video_pad|><|vision_end|>"
                + "<|vision_start|><|image_pad|><|vision_end|>B<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n"
                + "<|im_start|>user\nC<|im_end|>\n<|im_start|>assistant\n", prompt);
        String expanded = Qwen2VLPrompt.expand(prompt, List.of(new ImageGrid(1, 2, 2), new ImageGrid(1, 4, 2)),
                List.of(new ImageGrid(2, 2, 4)), 2);
        assertTrue(expanded.contains("A<|vision_start|><|image_pad|><|vision_end|><|vision_start|>"
                + "<|video_pad|>".repeat(4) + "<|vision_end|><|vision_start|>" + "<|image_pad|>".repeat(2) + "<|vision_end|>B"), expanded);
    }

    @Test
    void padsThatContradictTheGridsAreAnError() {
        String prompt = new Qwen2VLPrompt().user().image().image().build();
        var e = assertThrows(IllegalArgumentException.class,
                () -> Qwen2VLPrompt.expand(prompt, List.of(new ImageGrid(1, 2, 2)), List.of(), 2));
        assertEquals("prompt has 2 <|image_pad|> but image_grid_thw has 1 rows; each image (video) needs exactly one"
                + " <|image_pad|> in the text", e.getMessage());
    }

    @Test
    void contentOutsideATurnIsRefused() {
        assertThrows(IllegalStateException.class, () -> new Qwen2VLPrompt().image());
        assertThrows(IllegalStateException.class, () -> new Qwen2VLPrompt().user().text("x").system("late"));
    }
}
