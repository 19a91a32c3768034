package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code akvq run} streams what transformers' greedy generate() produces; bad input fails clearly. */
class RunCommandTest {

    @Test
    void greedyRunOnTheLlamaFixtureGivesTheGoldenTokens() {
        long[] prompt, expected;
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.model("llama").resolve("goldens.safetensors"))) {
            prompt = golden.require("input_ids").toLongArray();
            expected = golden.require("decode_tokens").toLongArray();
        }
        String ids = Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(","));
        var r = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", ids,
                "--max-new-tokens", "8");
        assertEquals(0, r.status(), r.err());
        assertEquals(Arrays.stream(expected).mapToObj(Long::toString).collect(Collectors.joining(" ")), r.out().trim());
        assertTrue(r.err().contains("tok/s"), r.err());
        assertTrue(r.err().contains("KV cache"), r.err());
    }

    @Test
    void idsOutsideTheVocabularyAndBadFlagsAreNamed() {
        var outside = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", "1,512");
        assertEquals(1, outside.status());
        assertTrue(outside.err().contains("token id 512 at index 1 is outside the vocabulary [0, 512)"), outside.err());
        var notNumber = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", "1,x");
        assertEquals(2, notNumber.status());
        assertTrue(notNumber.err().contains("item 2 is 'x'"), notNumber.err());
        var kv = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", "1", "--kv", "int3");
        assertEquals(2, kv.status());
        assertTrue(kv.err().contains("--kv: unknown KV mode \"int3\""), kv.err());
    }

    @Test
    void aPromptLongerThanMaxPositionEmbeddingsIsRefused() {
        String ids = String.join(",", java.util.Collections.nCopies(513, "5"));
        var r = Cli.akvq("run", "--model", Fixtures.model("llama").toString(), "--prompt-ids", ids);
        assertEquals(1, r.status());
        assertEquals("akvq run: error: prompt of 513 tokens exceeds max_position_embeddings 512 of config.json; shorten the prompt"
                + " or use fewer images", r.errorLine());
    }

    @Test
    void theErrorLineHelperFailsOnAnythingButOneWholeErrorLine() {
        assertEquals("akvq run: error: x", new Cli.Result(1, "", "akvq run: loaded\nakvq run: error: x\n").errorLine());
        assertThrows(AssertionError.class, () -> new Cli.Result(1, "text", "akvq run: error: x\n").errorLine());
        assertThrows(AssertionError.class, () -> new Cli.Result(1, "", "akvq run: failed\n").errorLine());
        assertThrows(AssertionError.class, () -> new Cli.Result(1, "", "akvq run: error: x\nakvq run: error: y\n").errorLine());
        assertEquals("akvq run: bad", new Cli.Result(2, "", "akvq run: bad\nSee 'akvq run --help'.\n").usageError());
        assertThrows(AssertionError.class, () -> new Cli.Result(2, "", "akvq run: bad\n").usageError());
        assertThrows(AssertionError.class, () -> new Cli.Result(2, "x", "akvq run: bad\nSee 'akvq run --help'.\n").usageError());
    }

    @Test
    void aConfigThatContradictsTheWeightsNamesTheTensor(@TempDir Path tmp) throws IOException {
        Path src = Fixtures.model("llama");
        Files.copy(src.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"),
                Files.readString(src.resolve("config.json")).replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 4"));
        var r = Cli.akvq("run", "--model", tmp.toString(), "--prompt-ids", "1,2");
        assertEquals(1, r.status());
        assertEquals("akvq run: error: " + tmp.resolve("model.safetensors") + ": tensor \"model.layers.0.self_attn.k_proj.weight\":"
                + " expected shape [64, 64], found [32, 64]", r.errorLine());
    }

    /**
     * --prompt encodes with DIR/tokenizer.json and streams decoded text. The llama fixture has no
     * tokenizer, so the test writes a byte-level one whose 512 tokens fit its vocabulary: the 256
     * byte symbols of GPT-2's alphabet (no merges) and 256 two-symbol tokens.
     */
    @Test
    void textPromptStreamsTheTextOfTheSameGreedyTokens(@TempDir Path tmp) throws IOException {
        Path src = Fixtures.model("llama");
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(src.resolve(f), tmp.resolve(f));
        }
        String[] alphabet = byteAlphabet();
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < 512; i++) {
            String token = i < 256 ? alphabet[i] : alphabet[i - 256] + alphabet[(i * 7) % 256];
            vocab.append(i == 0 ? "" : ",").append('"').append(token.replace("\\", "\\\\").replace("\"", "\\\"")).append("\":").append(i);
        }
        vocab.append('}');
        Files.writeString(tmp.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": null,
                 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                           "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "vocab": %s, "merges": []}}
                """.formatted(vocab));
        dev.akvq.tokenizer.Tokenizer tokenizer = dev.akvq.tokenizer.Tokenizer.load(tmp);
        int[] promptIds = tokenizer.encode("Hello, world!", true);
        String ids = Arrays.stream(promptIds).mapToObj(Integer::toString).collect(Collectors.joining(","));
        var byIds = Cli.akvq("run", "--model", tmp.toString(), "--prompt-ids", ids, "--max-new-tokens", "10");
        assertEquals(0, byIds.status(), byIds.err());
        int[] generated = Arrays.stream(byIds.out().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        var byText = Cli.akvq("run", "--model", tmp.toString(), "--prompt", "Hello, world!", "--max-new-tokens", "10");
        assertEquals(0, byText.status(), byText.err());
        assertEquals(tokenizer.decode(generated, true) + System.lineSeparator(), byText.out());
        var noTokenizer = Cli.akvq("run", "--model", src.toString(), "--prompt", "hi");
        assertEquals(2, noTokenizer.status());
        assertTrue(noTokenizer.err().contains("tokenizer.json"), noTokenizer.err());
    }

    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to 256 + n. */
    static String[] byteAlphabet() {
        String[] out = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = Character.toString(printable ? b : 256 + n++);
        }
        return out;
    }
}
