package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.server.LoadRun;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real client: the official {@code openai} npm package, pinned in server/openai-client and
 * installed there by its install.sh (npm ci), drives the in-process server on llava-shapes:
 * model list, a chat with an image whole and streamed, a completion, and a refused n=2. The
 * answers must be the eval set's reference. Without node, npm or the registry the test fails
 * with install.sh's message; it never skips.
 */
class OpenAiNodeClientTest {
    private static final Path CLIENT = Path.of("").toAbsolutePath().getParent().resolve("server/openai-client");

    private static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile("akvq-node", ".txt");
        try {
            Process p = new ProcessBuilder(command).directory(CLIENT.toFile()).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n"
                        + Files.readString(output));
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + text);
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    @Test
    void theOfficialOpenAiClientChatsWithAnImageStreamedAndNot() throws Exception {
        assertTrue(Files.isRegularFile(CLIENT.resolve("check.mjs")), "missing " + CLIENT.resolve("check.mjs"));
        run(List.of("bash", "install.sh"), 600);
        Path model = Fixtures.model("llava-shapes");
        LoadRun.Prompt p = LoadRun.readEvalSet(model.resolve("eval_single/prompts.jsonl"), 1).getFirst();
        String out;
        try (ServerClient s = new ServerClient(model, KvCacheSettings.defaults(KvMode.FP32), 1L << 30, 4)) {
            out = run(List.of("node", "check.mjs", s.server.url().toString(), p.images().getFirst().toString(), p.question()), 300);
        }
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        JsonObject r = Json.parseObject(last, "check.mjs output");
        assertEquals("llava-shapes", r.requireString("model"));
        assertEquals(p.reference(), r.requireString("chat"), out);
        assertEquals(p.reference(), r.requireString("streamed"), out);
        assertEquals("stop", r.requireString("finish"));
        assertEquals("stop", r.requireString("streamedFinish"));
        for (String usage : List.of("usage", "streamedUsage")) {
            assertEquals(p.referencePromptTokens(), r.requireObject(usage).requireInt("prompt_tokens"), usage);
            assertEquals(r.requireObject("usage").requireInt("completion_tokens"), r.requireObject(usage).requireInt("completion_tokens"));
        }
        assertEquals("fp32", r.requireObject("kv").requireString("kv_mode"));
        assertEquals(4, r.requireInt("completionTokens"));
        assertEquals(400, r.requireObject("refused").requireInt("status"));
        assertEquals("n", r.requireObject("refused").requireString("param"));
    }
}
