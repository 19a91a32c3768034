package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertTrue(r.err().contains("513 tokens exceeds max_position_embeddings 512"), r.err());
    }

    @Test
    void aConfigThatContradictsTheWeightsNamesTheTensor(@TempDir Path tmp) throws IOException {
        Path src = Fixtures.model("llama");
        Files.copy(src.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"),
                Files.readString(src.resolve("config.json")).replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 4"));
        var r = Cli.akvq("run", "--model", tmp.toString(), "--prompt-ids", "1,2");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("model.layers.0.self_attn.k_proj.weight\": expected shape [64, 64], found [32, 64]"), r.err());
    }
}
