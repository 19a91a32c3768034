package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No silent wrong answers from run, trace and eval: weights config.json does not describe are
 * refused at load, a non-finite weight stops generation naming the first non-finite
 * intermediate, the context limit is a normal end, trace --decode is checked before anything is
 * allocated, and the memory printed is the process's peak resident memory.
 */
class RunHardeningTest {
    private static final Path LLAMA = Fixtures.model("llama");
    private static final String GOLDENS = LLAMA.resolve("goldens.safetensors").toString();

    private static Path copy(Path tmp, String configFrom, String configTo) throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(LLAMA.resolve(f), tmp.resolve(f));
        Path config = tmp.resolve("config.json");
        String text = Files.readString(config);
        assertTrue(text.contains(configFrom), configFrom);
        Files.writeString(config, text.replace(configFrom, configTo));
        return tmp;
    }

    @Test
    void weightsTheConfigDoesNotDescribeAreRefusedUnlessAllowed(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        Cli.Result run = Cli.akvq("run", "--model", dir.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains(dir + ": 9 tensors are not read by the architecture config.json describes"
                + " (model.layers.1.input_layernorm.weight, "), run.err());
        assertTrue(run.err().contains("--allow-unused-weights") && run.out().isEmpty(), run.err());
        Cli.Result trace = Cli.akvq("trace", "--model", dir.toString(), "--inputs", GOLDENS, "--out", tmp.resolve("t.safetensors").toString());
        assertEquals(1, trace.status(), trace.err());
        assertTrue(trace.err().contains("9 tensors are not read"), trace.err());
        Cli.Result allowed = Cli.akvq("run", "--model", dir.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2",
                "--allow-unused-weights");
        assertEquals(0, allowed.status(), allowed.err());
    }

    @Test
    void aNonFiniteWeightStopsRunAndTraceNamingTheFirstNonFiniteIntermediate(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp, "\"torch_dtype\"", "\"torch_dtype\"");
        Safetensors.poke(dir.resolve("model.safetensors"), "model.layers.1.mlp.down_proj.weight", 3, new byte[] {0, 0, (byte) 0x80, 0x7F});
        Cli.Result run = Cli.akvq("run", "--model", dir.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "4");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("logits at the prompt's last position are not finite"), run.err());
        // the +Inf weight first shows in layer 1's MLP output, which the trace names as the layer's output
        assertTrue(run.err().contains("the first non-finite value of the prompt's forward pass: decoder_layer_out.1 [1, 3, 64] at [0, "),
                run.err());
        assertTrue(run.out().isBlank(), "no garbage tokens: " + run.out());
        Cli.Result trace = Cli.akvq("trace", "--model", dir.toString(), "--inputs", GOLDENS, "--out", tmp.resolve("t.safetensors").toString());
        assertEquals(1, trace.status(), trace.err());
        assertTrue(trace.err().contains("the first non-finite value is in decoder_layer_out.1 [1, 37, 64]"), trace.err());
        assertTrue(Files.exists(tmp.resolve("t.safetensors")), "the trace is written for the diagnosis");
    }

    @Test
    void theContextIsANormalEnd() {
        // the llama fixture's context is 512 tokens
        Cli.Result r = Cli.akvq("run", "--model", LLAMA.toString(), "--prompt-ids", String.join(",", java.util.Collections.nCopies(500, "7")),
                "--max-new-tokens", "40");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("akvq run: note: --max-new-tokens 40 capped to 12: the prompt's 500 tokens leave 12 of the model's"
                + " context of 512 tokens"), r.err());
        assertTrue(r.err().contains("generated 12 tokens") && r.err().contains("finish reason: length (the model's context of 512 tokens is full)"),
                r.err());
        assertEquals(12, r.out().strip().split(" ").length, r.out());
        assertTrue(r.out().endsWith("\n"));
        Cli.Result full = Cli.akvq("run", "--model", LLAMA.toString(), "--prompt-ids", String.join(",", java.util.Collections.nCopies(512, "7")));
        assertEquals(1, full.status());
        assertTrue(full.err().contains("the prompt's 512 tokens fill the model's context of 512 tokens"), full.err());
        Cli.Result plain = Cli.akvq("run", "--model", LLAMA.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "3");
        assertTrue(plain.err().contains("finish reason: length (--max-new-tokens 3)") && !plain.err().contains("note:"), plain.err());
    }

    @Test
    void traceDecodeIsCheckedBeforeAllocatingAndStopsAtTheContext(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("t.safetensors");
        Cli.Result huge = Cli.akvq("trace", "--model", LLAMA.toString(), "--inputs", GOLDENS, "--out", out.toString(), "--decode", "100000000");
        assertEquals(2, huge.status());
        assertTrue(huge.err().contains("--decode 100000000 is more than the model's context of 512 tokens"), huge.err());
        Cli.Result capped = Cli.akvq("trace", "--model", LLAMA.toString(), "--inputs", GOLDENS, "--out", out.toString(), "--decode", "480");
        assertEquals(0, capped.status(), capped.err());
        assertTrue(capped.err().contains("--decode 480 stopped after 476 steps"), capped.err());
        String header = new String(Files.readAllBytes(out), 8, 4000, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("\"decode_tokens\":{\"dtype\":\"I64\",\"shape\":[1,476]"), header);
    }

    @Test
    void aLayerTableNextToTheModelIsNamedWhenPickedUp(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp, "\"torch_dtype\"", "\"torch_dtype\"");
        Files.writeString(dir.resolve("akvq-layers.json"), "{\"layers\": [\"TSA\", \"PSA\"]}");
        Cli.Result akvq = Cli.akvq("run", "--model", dir.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2", "--kv", "akvq");
        assertEquals(0, akvq.status(), akvq.err());
        assertTrue(akvq.err().contains("akvq: layer table " + dir.resolve("akvq-layers.json") + " (found next to the model)"),
                akvq.err());
        Cli.Result fp16 = Cli.akvq("run", "--model", dir.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2", "--kv", "fp16");
        assertTrue(!fp16.err().contains("layer table"), fp16.err());
    }

    @Test
    void anInterruptedPrefillStopsBeforeItsNextLayer() {
        try (VisionLanguageModel model = VisionLanguageModel.load(LLAMA, 1)) {
            Thread.currentThread().interrupt();   // what Ctrl-C does to the generating thread in akvq run
            CancellationException e = assertThrows(CancellationException.class,
                    () -> model.prefill(PromptInput.ids(new int[] {1, 2, 3}), KvCacheSettings.defaults(KvMode.FP32), Trace.NONE));
            assertEquals("stopped before decoder layer 0 of 2", e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt is left for the caller");
            try (TokenSequence again = model.prefill(PromptInput.ids(new int[] {1, 2, 3}), KvCacheSettings.defaults(KvMode.FP32), Trace.NONE)) {
                assertEquals(3, again.length());
            }
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void memoryIsThePeakResidentSetNextToWeightsAndCache() {
        Cli.Result r = Cli.akvq("run", "--model", LLAMA.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2");
        // The peak is this test JVM's, whatever ran in it before: MiB or GiB.
        assertTrue(r.err().matches("(?s).*akvq run: memory: peak resident [0-9.]+ (MiB|GiB); weights mapped 619\\.4 KiB; KV cache [0-9.]+ (B|KiB) for 3 tokens\n.*"),
                r.err());
        assertTrue(!r.err().contains("Java heap"), r.err());
    }
}
