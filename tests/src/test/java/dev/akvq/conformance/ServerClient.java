package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.server.OpenAiServer;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An {@code akvq serve} server in-process on an ephemeral loopback port, and the
 * {@link HttpClient} calls the tests make: one answer, streamed or not, read back into text,
 * finish reason, usage and the akvq extension.
 */
final class ServerClient implements AutoCloseable {
    final OpenAiServer server;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final HttpClient http = HttpClient.newHttpClient();

    ServerClient(Path model, KvCacheSettings settings, long kvBudget, int maxQueue) throws IOException {
        server = OpenAiServer.start(OpenAiServer.Options.loopback(0), new PrintStream(log, true, StandardCharsets.UTF_8));
        server.load(model, settings, kvBudget, maxQueue, 2);
    }

    /** One answer: its text, why it ended, the usage counts and the extension object. */
    record Answer(String text, String finishReason, int promptTokens, int completionTokens, JsonObject akvq) {}

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(server.url().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(server.url().resolve(path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** POSTs {@code body} (with "stream" as asked) and reads the answer from the JSON or the event stream. */
    Answer answer(String path, String body, boolean stream) throws IOException, InterruptedException {
        boolean chat = path.endsWith("chat/completions");
        String withStream = body.replaceFirst("\\}\\s*$", stream ? ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}"
                : ", \"stream\": false}");
        HttpResponse<String> r = post(path, withStream);
        assertEquals(200, r.statusCode(), r.body());
        if (!stream) {
            JsonObject o = Json.parseObject(r.body().strip(), "response");
            JsonObject choice = (JsonObject) o.requireArray("choices").get(0);
            String text = chat ? choice.requireObject("message").requireString("content") : choice.requireString("text");
            JsonObject usage = o.requireObject("usage");
            assertEquals(usage.requireInt("prompt_tokens") + usage.requireInt("completion_tokens"), usage.requireInt("total_tokens"));
            return new Answer(text, choice.requireString("finish_reason"), usage.requireInt("prompt_tokens"),
                    usage.requireInt("completion_tokens"), o.requireObject("akvq"));
        }
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonObject usage = null, akvq = null;
        List<String> events = new ArrayList<>(List.of(r.body().split("\n\n")));
        assertEquals("data: [DONE]", events.getLast());
        for (String event : events.subList(0, events.size() - 1)) {
            assertTrue(event.startsWith("data: "), event);
            JsonObject chunk = Json.parseObject(event.substring(6), "chunk");
            if (chunk.requireArray("choices").size() == 0) {
                usage = chunk.requireObject("usage");
                continue;
            }
            JsonObject choice = (JsonObject) chunk.requireArray("choices").get(0);
            if (chat) text.append(choice.requireObject("delta").optString("content").orElse(""));
            else text.append(choice.requireString("text"));
            if (choice.optString("finish_reason").isPresent()) {
                finish = choice.requireString("finish_reason");
                akvq = chunk.requireObject("akvq");
            }
        }
        assertTrue(usage != null && finish != null, r.body());
        return new Answer(text.toString(), finish, usage.requireInt("prompt_tokens"), usage.requireInt("completion_tokens"), akvq);
    }

    static String dataUrl(Path image) throws IOException {
        String type = image.toString().endsWith(".jpg") ? "image/jpeg" : "image/png";
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(image));
    }

    /** A chat request body: one user message with the images first, then the text; greedy. */
    static String chat(String text, int maxTokens, List<Path> images) throws IOException {
        StringBuilder parts = new StringBuilder();
        for (Path p : images) parts.append("{\"type\": \"image_url\", \"image_url\": {\"url\": \"").append(dataUrl(p)).append("\"}}, ");
        parts.append("{\"type\": \"text\", \"text\": ").append(AsciiTokenizer.quote(text)).append('}');
        return "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [" + parts + "]}], \"max_tokens\": " + maxTokens
                + ", \"temperature\": 0}";
    }

    @Override
    public void close() {
        server.close();
    }
}
