package dev.akvq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer against a {@link ScriptedBackend} on an ephemeral loopback port: every error
 * status in OpenAI's shape, the stream format, and the faults (disconnect mid-stream, half and
 * slow bodies, malformed JSON, hostile images), after each of which the server still serves.
 */
class HttpLayerTest {
    private static final String CHAT = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 3}";
    private final HttpClient client = HttpClient.newHttpClient();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private OpenAiServer server;

    private OpenAiServer start(String apiKey, ScriptedBackend backend) throws IOException {
        var o = new OpenAiServer.Options("127.0.0.1", 0, apiKey, 4096, null, 1 << 20, 1000, 5000);
        server = OpenAiServer.start(o, new PrintStream(log, true, StandardCharsets.UTF_8));
        if (backend != null) server.serve(backend);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("Exception"), log.toString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(server.url().resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(server.url().resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status, and the error object's fields when it is an error. */
    private static JsonObject error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject e = Json.parseObject(r.body(), "response").requireObject("error");
        for (String k : List.of("message", "type", "param", "code")) assertTrue(e.has(k), k + " missing in " + r.body());
        assertFalse(r.body().contains("at dev.akvq"), r.body());   // never a stack trace
        return e;
    }

    private void stillServes() throws Exception {
        var r = post("/v1/chat/completions", CHAT);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = Json.parseObject(r.body(), "response");
        assertEquals("w0 w1 w2", o.requireArray("choices").get(0) instanceof JsonObject c
                ? c.requireObject("message").requireString("content") : null);
    }

    @Test
    void answersInOpenAisShapeWithUsageAndTheKvExtension() throws Exception {
        start(null, new ScriptedBackend(3, 1, 4));
        var r = post("/v1/chat/completions", CHAT);
        assertEquals(200, r.statusCode());
        JsonObject o = Json.parseObject(r.body().strip(), "response");
        assertEquals("chat.completion", o.requireString("object"));
        JsonObject choice = (JsonObject) o.requireArray("choices").get(0);
        assertEquals("length", choice.requireString("finish_reason"));
        assertEquals("assistant", choice.requireObject("message").requireString("role"));
        JsonObject usage = o.requireObject("usage");
        assertEquals(3, usage.requireInt("prompt_tokens"));
        assertEquals(3, usage.requireInt("completion_tokens"));
        assertEquals(6, usage.requireInt("total_tokens"));
        assertEquals("akvq", o.requireObject("akvq").requireString("kv_mode"));
        assertEquals(3000, o.requireObject("akvq").requireLong("kv_bytes"));

        var c = post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}");
        JsonObject co = Json.parseObject(c.body().strip(), "response");
        assertEquals("text_completion", co.requireString("object"));
        assertEquals("w0 w1", ((JsonObject) co.requireArray("choices").get(0)).requireString("text"));
        assertEquals("scripted", ((JsonObject) Json.parseObject(get("/v1/models").body(), "m").requireArray("data").get(0)).requireString("id"));
    }

    @Test
    void streamsRoleChunkDeltasFinishChunkUsageAndDone() throws Exception {
        start(null, new ScriptedBackend(3, 1, 4));
        var r = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2,"
                + " \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = new ArrayList<>();
        for (String event : r.body().split("\n\n")) {
            assertTrue(event.startsWith("data: "), event);
            data.add(event.substring(6));
        }
        assertEquals("[DONE]", data.getLast());
        assertEquals(6, data.size(), r.body());   // role, 2 deltas, finish, usage, [DONE]
        List<JsonObject> chunks = data.subList(0, 5).stream().map(d -> Json.parseObject(d, "chunk")).toList();
        String id = chunks.get(0).requireString("id");
        for (JsonObject c : chunks) {
            assertEquals("chat.completion.chunk", c.requireString("object"));
            assertEquals(id, c.requireString("id"));
        }
        JsonObject role = (JsonObject) chunks.get(0).requireArray("choices").get(0);
        assertEquals("assistant", role.requireObject("delta").requireString("role"));
        assertEquals("w0", ((JsonObject) chunks.get(1).requireArray("choices").get(0)).requireObject("delta").requireString("content"));
        assertEquals(" w1", ((JsonObject) chunks.get(2).requireArray("choices").get(0)).requireObject("delta").requireString("content"));
        JsonObject finish = (JsonObject) chunks.get(3).requireArray("choices").get(0);
        assertEquals("length", finish.requireString("finish_reason"));
        assertEquals(0, finish.requireObject("delta").size());
        assertEquals(0, chunks.get(4).requireArray("choices").size());
        assertEquals(5, chunks.get(4).requireObject("usage").requireInt("total_tokens"));
    }

    @Test
    void everyErrorStatusInOpenAisShape() throws Exception {
        start("sekret", null);
        assertEquals(503, get("/health").statusCode());
        assertEquals("{\"status\":\"loading\"}", get("/health").body());
        error(post("/v1/chat/completions", CHAT, "Authorization", "Bearer sekret"), 503);   // loading
        server.serve(new ScriptedBackend(3, 1, 0));
        assertEquals(200, get("/health").statusCode());
        assertEquals("invalid_api_key", error(post("/v1/chat/completions", CHAT), 401).requireString("code"));
        error(post("/v1/chat/completions", CHAT, "Authorization", "Bearer wrong"), 401);
        String[] key = {"Authorization", "Bearer sekret"};
        assertEquals(200, post("/v1/chat/completions", CHAT, key).statusCode());
        error(post("/v1/chat/completions", "x".repeat(5000), key), 413);
        error(post("/v1/chat/completions", "{\"messages\": [", key), 400);
        error(post("/v1/chat/completions", "[1, 2]", key), 400);
        error(post("/v1/chat/completions", "\u00ff\u00fe", key), 400);
        assertEquals("max_tokens", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"3\"}", key), 400).requireString("param"));
        assertEquals("messages[0].content", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": 7}]}", key), 400).requireString("param"));
        assertEquals("n", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}", key), 400).requireString("param"));
        assertEquals("temperature", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 9}", key), 400).requireString("param"));
        assertEquals("stop", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", key), 400)
                .requireString("param"));
        error(client.send(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions")).headers(key).GET().build(),
                HttpResponse.BodyHandlers.ofString()), 405);
        error(get("/nope"), 404);
        // 429: one running (slow), none may wait with --max-queue 0.
        server.close();
        start("sekret", new ScriptedBackend(50, 20, 0));
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions"))
                .headers(key).POST(HttpRequest.BodyPublishers.ofString(CHAT.replace("3}", "50}"))).build(), HttpResponse.BodyHandlers.ofString());
        while (metricsValue("akvq_running_sequences") < 1) Thread.sleep(5);
        assertEquals("queue_full", error(post("/v1/chat/completions", CHAT, key), 429).requireString("code"));
        assertEquals(200, slow.get().statusCode());
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("akvq_requests_total{endpoint=\"/v1/chat/completions\",outcome=\"error_429\"} 1"), metrics);
        assertTrue(metrics.contains("akvq_requests_total{endpoint=\"/v1/chat/completions\",outcome=\"ok\"} 1"), metrics);
    }

    private double metricsValue(String name) throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        }
        throw new AssertionError(name + " not in /metrics");
    }

    @Test
    void hostileImagesAre400sNamingThePart() throws Exception {
        start(null, new ScriptedBackend(3, 1, 4));
        String[] urls = {"data:image/png;base64,@@@not base64@@@", "data:image/png;base64,iVBORw0KGgo=",
                "data:text/plain;base64,aGk=", "https://example.com/cat.png", "/etc/passwd", "file:///etc/passwd",
                "data:image/png;base64," + Base64.getEncoder().encodeToString(bombPng())};
        for (String url : urls) {
            var r = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                    + " \"image_url\": {\"url\": \"" + url + "\"}}]}]}");
            JsonObject e = error(r, 400);
            assertEquals("messages[0].content[0].image_url", e.requireString("param"), r.body());
            assertFalse(e.requireString("message").contains("root:"), r.body());
        }
        stillServes();
    }

    /** A PNG header declaring 100000 x 100000 pixels, and no pixel data. */
    static byte[] bombPng() {
        var ihdr = java.nio.ByteBuffer.allocate(13).putInt(100_000).putInt(100_000).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0).array();
        var crc = new java.util.zip.CRC32();
        crc.update("IHDR".getBytes(StandardCharsets.US_ASCII));
        crc.update(ihdr);
        return java.nio.ByteBuffer.allocate(8 + 25).put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
                .putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII)).put(ihdr).putInt((int) crc.getValue()).array();
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsSequenceAndFreesItsCache() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(1000, 5, 4);
        start(null, backend);
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": true, \"max_tokens\": 1000}";
        try (Socket s = new Socket("127.0.0.1", server.url().getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String seen = "";
            while (!seen.contains("\"w3\"") && !seen.contains(" w3")) seen += new String(in.readNBytes(1), StandardCharsets.UTF_8);
            assertTrue(backend.kvBytesInUse() > 0);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (backend.cancelled.get() == 0 && System.currentTimeMillis() < deadline) Thread.sleep(10);
        assertEquals(1, backend.cancelled.get(), "the sequence was not cancelled");
        while (backend.running() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(10);
        assertEquals(0, backend.kvBytesInUse());
        stillServes();
    }

    @Test
    void aClientThatLeavesBeforeAPlainAnswerIsCompleteCancelsItToo() throws Exception {
        ScriptedBackend backend = new ScriptedBackend(1000, 5, 4);
        start(null, backend);
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1000}";
        try (Socket s = new Socket("127.0.0.1", server.url().getPort())) {
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            String head = "";
            while (!head.endsWith("\r\n\r\n")) head += (char) in.read();
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            in.readNBytes(3);   // chunk size line and the first space: generation is under way
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (backend.cancelled.get() == 0 && System.currentTimeMillis() < deadline) Thread.sleep(10);
        assertEquals(1, backend.cancelled.get(), "the sequence was not cancelled");
        stillServes();
    }

    @Test
    void halfAndSlowBodiesAreDroppedAfterTheTimeoutAndOthersAreServedMeanwhile() throws Exception {
        start(null, new ScriptedBackend(3, 1, 4));
        try (Socket half = new Socket("127.0.0.1", server.url().getPort()); Socket slow = new Socket("127.0.0.1", server.url().getPort())) {
            half.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess"
                    .getBytes(StandardCharsets.UTF_8));
            slow.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                    .getBytes(StandardCharsets.UTF_8));
            stillServes();   // while both wait
            long start = System.currentTimeMillis();
            for (int i = 0; i < 30; i++) {   // one byte every 100 ms: 3 s, over the 1 s body timeout
                try {
                    slow.getOutputStream().write(' ');
                    slow.getOutputStream().flush();
                } catch (IOException dropped) {
                    break;
                }
                Thread.sleep(100);
            }
            half.setSoTimeout(10_000);
            assertEquals(-1, half.getInputStream().read(), "the half body's connection should be closed");
            assertTrue(System.currentTimeMillis() - start < 10_000);
        }
        stillServes();
    }

    @Test
    void shutdownLetsTheRunningRequestFinishAndRefusesNewOnes() throws Exception {
        start(null, new ScriptedBackend(20, 20, 4));
        CompletableFuture<HttpResponse<String>> running = client.sendAsync(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT.replace("3}", "20}"))).build(), HttpResponse.BodyHandlers.ofString());
        while (metricsValue("akvq_running_sequences") < 1) Thread.sleep(5);
        URI url = server.url();
        Thread stopper = Thread.ofVirtual().start(server::close);
        var r = running.get();
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("w19"), r.body());
        stopper.join();
        server = null;
        assertTrue(assertThrowsIo(() -> client.send(HttpRequest.newBuilder(url.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString())));
    }

    private static boolean assertThrowsIo(java.util.concurrent.Callable<?> c) {
        try {
            c.call();
            return false;
        } catch (IOException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
