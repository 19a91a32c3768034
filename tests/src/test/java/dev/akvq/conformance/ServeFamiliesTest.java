package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq serve} on every family, in-process on a loopback port: a chat with the fixture's
 * image (a data: URL) answered streamed and not, both equal to {@code akvq run}'s greedy answer to
 * the same prompt and image, with the prompt and completion token counts {@code run} reports. The
 * random-weight fixtures ship no tokenizer, so each gets an {@link AsciiTokenizer}.
 */
class ServeFamiliesTest {
    private static final Pattern RUN_COUNTS = Pattern.compile("prompt (\\d+) tokens .*generated (\\d+) tokens");

    private static Path copy(String model, Path tmp, List<String> files) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(model));
        for (String f : files) Files.copy(Fixtures.model(model).resolve(f), dir.resolve(f));
        return dir;
    }

    private static Path vision(String model, Path tmp, Map<String, Integer> special, String bos) throws IOException {
        Path dir = copy(model, tmp, List.of("config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json"));
        AsciiTokenizer.write(dir, 512, special, bos);
        return dir;
    }

    /** Serves {@code dir}, asks {@code body} twice (plain, streamed), and checks both against {@code akvq run --prompt runPrompt}. */
    private static void sameAsRun(Path dir, String path, String body, String runPrompt, List<Path> images, int maxTokens)
            throws Exception {
        ServerClient.Answer plain, streamed;
        try (ServerClient server = new ServerClient(dir, KvCacheSettings.defaults(KvMode.FP32), 1L << 30, 4)) {
            plain = server.answer(path, body, false);
            streamed = server.answer(path, body, true);
        }
        List<String> args = new java.util.ArrayList<>(List.of("run", "--model", dir.toString(), "--prompt", runPrompt,
                "--max-new-tokens", String.valueOf(maxTokens), "--temperature", "0", "--threads", "2"));
        for (Path p : images) args.addAll(List.of("--image", p.toString()));
        var run = Cli.akvq(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().endsWith("\n"), run.out());
        String expected = run.out().substring(0, run.out().length() - 1);
        Matcher counts = RUN_COUNTS.matcher(run.err());
        assertTrue(counts.find(), run.err());
        for (ServerClient.Answer a : List.of(plain, streamed)) {
            assertEquals(expected, a.text());
            assertEquals(Integer.parseInt(counts.group(1)), a.promptTokens(), "prompt tokens");
            assertEquals(Integer.parseInt(counts.group(2)), a.completionTokens(), "completion tokens");
            assertEquals(a.completionTokens() == maxTokens ? "length" : "stop", a.finishReason());
            assertEquals("fp32", a.akvq().requireString("kv_mode"));
            assertTrue(a.akvq().requireLong("kv_bytes") > 0);
        }
        assertTrue(plain.completionTokens() > 0);
    }

    @Test
    void llavaChatWithAnImageEqualsRun(@TempDir Path tmp) throws Exception {
        Path dir = vision("llava", tmp, Map.of("<s>", 1, "</s>", 2, "<image>", 511), "<s>");
        Path image = Fixtures.model("llava").resolve("image.png");
        // LLaVA's layout is run's: USER: Image 1: <image>\n{text} ASSISTANT:
        sameAsRun(dir, "/v1/chat/completions", ServerClient.chat("Describe it.", 8, List.of(image)), "Describe it.", List.of(image), 8);
    }

    @Test
    void idefics3ChatWithAnImageEqualsRunOfTheTemplatedPrompt(@TempDir Path tmp) throws Exception {
        Map<String, Integer> special = new java.util.HashMap<>(Map.of("<s>", 1, "</s>", 2, "<image>", 500,
                "<fake_token_around_image>", 501, "<global-img>", 502, "\n", 503, "<end_of_utterance>", 504));
        special.putAll(Map.of("<row_1_col_1>", 505, "<row_1_col_2>", 506, "<row_2_col_1>", 507, "<row_2_col_2>", 508));
        Path dir = vision("idefics3", tmp, special, "<s>");
        Path image = Fixtures.model("idefics3").resolve("image.png");
        sameAsRun(dir, "/v1/chat/completions", ServerClient.chat("Describe it.", 8, List.of(image)),
                "<|im_start|>User:<image>Describe it.<end_of_utterance>\nAssistant:", List.of(image), 8);
    }

    @Test
    void qwen2vlChatWithAnImageEqualsRun(@TempDir Path tmp) throws Exception {
        Map<String, Integer> special = Map.of("<|im_start|>", 500, "<|im_end|>", 501, "<|vision_start|>", 502, "<|vision_end|>", 503,
                "<|vision_pad|>", 504, "<|image_pad|>", 505, "<|video_pad|>", 506, "<|endoftext|>", 507, "\n", 508);
        Path dir = vision("qwen2vl", tmp, special, null);
        Path image = Fixtures.model("qwen2vl").resolve("image.png");
        // Qwen2-VL's chat template, as run lays out --prompt: system turn, the image, then the text.
        sameAsRun(dir, "/v1/chat/completions", ServerClient.chat("Describe it.", 8, List.of(image)), "Describe it.", List.of(image), 8);
    }

    @Test
    void qwen2vlWithItsOwnChatTemplateEqualsRun(@TempDir Path tmp) throws Exception {
        Map<String, Integer> special = Map.of("<|im_start|>", 500, "<|im_end|>", 501, "<|vision_start|>", 502, "<|vision_end|>", 503,
                "<|vision_pad|>", 504, "<|image_pad|>", 505, "<|video_pad|>", 506, "<|endoftext|>", 507, "\n", 508);
        Path dir = vision("qwen2vl", tmp, special, null);
        Files.copy(Path.of("").toAbsolutePath().getParent().resolve("template/src/test/resources/chat_templates/Qwen2-VL-2B-Instruct/"
                + "chat_template.json"), dir.resolve("chat_template.json"));
        Path image = Fixtures.model("qwen2vl").resolve("image.png");
        try (ServerClient server = new ServerClient(dir, KvCacheSettings.defaults(KvMode.FP32), 1L << 30, 4)) {
            assertTrue(server.get("/v1/models").contains("the model's chat template (chat_template.json)"), server.get("/v1/models"));
        }
        // akvq run --prompt renders the same template for one user message with its image first.
        sameAsRun(dir, "/v1/chat/completions", ServerClient.chat("Describe it.", 8, List.of(image)), "Describe it.", List.of(image), 8);
    }

    @Test
    void llamaTextCompletionEqualsRun(@TempDir Path tmp) throws Exception {
        Path dir = copy("llama", tmp, List.of("config.json", "generation_config.json", "model.safetensors"));
        AsciiTokenizer.write(dir, 512, Map.of("<s>", 1, "</s>", 2), "<s>");
        sameAsRun(dir, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 10, \"temperature\": 0}",
                "Once upon a time", List.of(), 10);
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsSequenceFreesItsCacheAndOthersAreServed(@TempDir Path tmp) throws Exception {
        Path dir = copy("llama", tmp, List.of("config.json", "generation_config.json", "model.safetensors"));
        AsciiTokenizer.write(dir, 512, Map.of("<s>", 1, "</s>", 2), "<s>");
        try (ServerClient server = new ServerClient(dir, KvCacheSettings.defaults(KvMode.AKVQ), 1L << 30, 4)) {
            String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 480, \"temperature\": 0, \"stream\": true}";
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.server.url().getPort())) {
                s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
                int events = 0;
                for (String line; events < 3 && (line = in.readLine()) != null; ) if (line.startsWith("data: {")) events++;
                assertEquals(3, events);
                assertTrue(dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_kv_bytes_in_use") > 0);
            }
            long deadline = System.currentTimeMillis() + 60_000;
            // The handler counts the request's outcome after the scheduler frees the sequence: wait for all three.
            while (System.currentTimeMillis() < deadline
                    && (dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_running_sequences") > 0
                        || dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_kv_bytes_in_use") > 0
                        || !server.get("/metrics").contains("outcome=\"cancelled\"} 1"))) Thread.sleep(20);
            assertEquals(0, dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_running_sequences"));
            assertEquals(0, dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_kv_bytes_in_use"));
            String metrics = server.get("/metrics");
            assertTrue(metrics.contains("outcome=\"cancelled\"} 1"), metrics);
            long generated = dev.akvq.server.LoadRun.gauge(server.http, server.server.url(), "akvq_generated_tokens_total");
            assertTrue(generated >= 3 && generated < 480, "the sequence ran to the end after its client left: " + generated + " tokens");
            var after = server.answer("/v1/completions", "{\"prompt\": \"Hello\", \"max_tokens\": 3, \"temperature\": 0}", false);
            assertEquals(3, after.completionTokens());
        }
    }
}
