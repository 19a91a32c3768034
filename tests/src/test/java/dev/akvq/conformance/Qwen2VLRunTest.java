package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq run --image} on the qwen2vl fixture, end to end: image.png through
 * preprocessor_config.json (Qwen2VLImageProcessor), the one {@code <|image_pad|>} of the prompt
 * expanded to the grid's 15 merged tokens, the tower, merger, M-RoPE prefill and 8 greedy steps,
 * which must be the goldens' decode_tokens. The fixture ships no tokenizer.json: the prompt is
 * the golden input_ids spelled with a {@link LetterTokenizer} (pads collapsed to one), so it
 * encodes back to exactly those ids once expanded.
 */
class Qwen2VLRunTest {
    private static final String PAD = "<|image_pad|>";

    @Test
    void imageAndPromptGiveTheGoldenGreedyTokens(@TempDir Path tmp) throws IOException {
        Path dir = LetterTokenizer.copyModel("qwen2vl", tmp);
        LetterTokenizer tokenizer = LetterTokenizer.ofFixture("qwen2vl", null, Map.of());
        String prompt, expected;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model("qwen2vl").resolve("goldens.safetensors"))) {
            prompt = tokenizer.spell(golden.require("input_ids").toLongArray());
            while (prompt.contains(PAD + PAD)) prompt = prompt.replace(PAD + PAD, PAD);
            expected = tokenizer.spell(golden.require("decode_tokens").toLongArray());
        }
        assertEquals(1, prompt.split(Pattern.quote(PAD), -1).length - 1, prompt);
        tokenizer.write(dir);
        var r = Cli.akvq("run", "--model", dir.toString(), "--image", Fixtures.model("qwen2vl").resolve("image.png").toString(),
                "--prompt", prompt, "--max-new-tokens", "8", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertEquals(expected, r.out().strip(), r.err());
        assertTrue(r.err().contains("prompt 38 tokens"), r.err());
    }
}
