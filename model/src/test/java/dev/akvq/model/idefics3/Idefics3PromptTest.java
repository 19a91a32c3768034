package dev.akvq.model.idefics3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prompt strings against Idefics3Processor's {@code _prompt_split_image} and
 * {@code _prompt_single_image} (processing_idefics3.py, transformers 241c04d3), whose output for
 * these arguments is written out below by hand from the reference's f-strings.
 */
class Idefics3PromptTest {

    @Test
    void splitImageOfTwoRowsAndThreeColumns() {
        String expected = "<fake_token_around_image><row_1_col_1><image><image>"
                + "<fake_token_around_image><row_1_col_2><image><image>"
                + "<fake_token_around_image><row_1_col_3><image><image>\n"
                + "<fake_token_around_image><row_2_col_1><image><image>"
                + "<fake_token_around_image><row_2_col_2><image><image>"
                + "<fake_token_around_image><row_2_col_3><image><image>\n"
                + "\n<fake_token_around_image><global-img><image><image><fake_token_around_image>";
        assertEquals(expected, Idefics3Prompt.imagePrompt(new Idefics3Prompt.Tiling(2, 3), 2));
        assertEquals(7, new Idefics3Prompt.Tiling(2, 3).tiles());
    }

    @Test
    void unsplitImageIsTheGlobalTileOnly() {
        assertEquals("<fake_token_around_image><global-img><image><image><image><fake_token_around_image>",
                Idefics3Prompt.imagePrompt(new Idefics3Prompt.Tiling(0, 0), 3));
        assertEquals(1, new Idefics3Prompt.Tiling(0, 0).tiles());
    }

    @Test
    void expandReplacesEachMarkerInOrder() {
        String text = "User:<image>Compare with<image>.<end_of_utterance>\nAssistant:";
        String out = Idefics3Prompt.expand(text, List.of(new Idefics3Prompt.Tiling(0, 0), new Idefics3Prompt.Tiling(1, 1)), 1);
        assertEquals("User:<fake_token_around_image><global-img><image><fake_token_around_image>Compare with"
                + "<fake_token_around_image><row_1_col_1><image>\n\n<fake_token_around_image><global-img><image>"
                + "<fake_token_around_image>.<end_of_utterance>\nAssistant:", out);
    }

    @Test
    void countsAndTilingsAreChecked() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Idefics3Prompt.expand("<image><image>", List.of(new Idefics3Prompt.Tiling(0, 0)), 4));
        assertTrue(e.getMessage().startsWith("the prompt holds 2 <image> markers but 1 images"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Idefics3Prompt.Tiling(2, 0));
        assertTrue(e.getMessage().startsWith("rows_cols: [2, 0]"), e.getMessage());
    }
}
