package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq run --image} on the idefics3 fixture, end to end: image.png through
 * preprocessor_config.json, the prompt expanded and encoded, the vision tower, the merge and 8
 * greedy tokens, which must be the goldens' decode_tokens. The fixture ships no tokenizer.json,
 * so the test writes a {@link LetterTokenizer} whose letters encode to the golden prompt's 13
 * text ids, with the added tokens at goldens.json's special_tokens ids and BOS {@code <s>} = 1.
 */
class Idefics3RunTest {
    /** The text ids of the golden prompt, around its image: 4 before, 6 after, 3 after the end of utterance. */
    static final long[] TEXT = {26, 245, 174, 178, 467, 155, 153, 92, 243, 413, 299, 286, 259};

    @Test
    void imageAndPromptGiveTheGoldenGreedyTokens(@TempDir Path tmp) throws IOException {
        Path dir = LetterTokenizer.copyModel("idefics3", tmp);
        LetterTokenizer tokenizer = LetterTokenizer.ofFixture("idefics3", "<s>", Map.of("<s>", 1));
        String text = tokenizer.spell(TEXT), expected;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model("idefics3").resolve("goldens.safetensors"))) {
            expected = tokenizer.spell(golden.require("decode_tokens").toLongArray());
        }
        tokenizer.write(dir);
        String prompt = text.substring(0, 4) + "<image>" + text.substring(4, 10) + "<end_of_utterance>\n" + text.substring(10);
        var r = Cli.akvq("run", "--model", dir.toString(), "--image", Fixtures.model("idefics3").resolve("image.png").toString(),
                "--prompt", prompt, "--max-new-tokens", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertEquals(expected, r.out().strip(), r.err());
        assertTrue(r.err().contains("prompt 110 tokens"), r.err());
    }

    @Test
    void anImageForATextModelIsABadUsage(@TempDir Path tmp) {
        var r = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--image", "x.png", "--prompt-ids", "1,2");
        assertEquals(2, r.status());
        assertEquals("akvq run: --image needs a vision family (llava, idefics3, qwen2_vl in this build); " + Fixtures.model("llama")
                + " is llama", r.usageError());
    }
}
