package dev.akvq.server;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load test of a running server ({@code akvq bench serve} and the suite's smaller run): each
 * distinct prompt is first answered alone (the solo answers), then {@code clients} concurrent
 * clients send {@code requests} streamed greedy chats in all, cycling through the prompts. Every
 * answer must equal its solo answer; afterwards the server must hold no KV bytes. Reports
 * requests/s, generated tokens/s, and p50/p99 of time to first token and of latency.
 */
public final class LoadRun {
    private LoadRun() {}

    /** One prompt of an eval set: the question, its images, and the reference answer when the set has one. */
    public record Prompt(String id, String question, List<Path> images, String reference, int referencePromptTokens) {}

    /** One answered request. */
    public record Answer(String text, int promptTokens, int completionTokens, double firstTokenSeconds, double seconds,
                         long kvBytes, double bitsPerValue) {}

    public record Summary(int requests, int clients, double seconds, double requestsPerSecond, double tokensPerSecond,
                          double firstTokenP50, double firstTokenP99, double latencyP50, double latencyP99, int mismatches,
                          long kvBytesAfter, double meanKvBytes, double bitsPerValue, Map<String, Answer> solo) {}

    /** The first {@code limit} rows of an eval set in the llava-shapes format (question, images relative to the file, fp32 answer). */
    public static List<Prompt> readEvalSet(Path jsonl, int limit) throws IOException {
        List<Prompt> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            if (line.isBlank() || prompts.size() >= limit) continue;
            JsonObject row = Json.parseObject(line, jsonl.toString());
            List<Path> images = new ArrayList<>();
            for (var v : row.requireArray("images").elements()) images.add(jsonl.resolveSibling(((JsonString) v).value()));
            String reference = row.optObject("fp32").flatMap(f -> f.optString("generated_text")).orElse(null);
            int tokens = row.optArray("input_ids").map(JsonArray::size).orElse(-1);
            prompts.add(new Prompt(row.requireString("id"), row.requireString("question"), images, reference, tokens));
        }
        return prompts;
    }

    /** The chat body of {@code p}: its images as data: URLs, then the question; greedy, streamed with usage. */
    static String body(Prompt p, int maxTokens) throws IOException {
        JsonText j = new JsonText().beginObject().field("model", "any").key("messages").beginArray().beginObject()
                .field("role", "user").key("content").beginArray();
        for (Path image : p.images()) {
            String type = image.toString().endsWith(".jpg") ? "image/jpeg" : "image/png";
            j.beginObject().field("type", "image_url").key("image_url").beginObject()
                    .field("url", "data:" + type + ";base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(image)))
                    .endObject().endObject();
        }
        j.beginObject().field("type", "text").field("text", p.question()).endObject();
        j.endArray().endObject().endArray().field("max_tokens", maxTokens).field("temperature", 0.0).field("stream", true);
        return j.key("stream_options").beginObject().field("include_usage", true).endObject().endObject().toString();
    }

    /** Sends one streamed chat and reads it back; a non-200 status is an IOException with the body. */
    public static Answer ask(HttpClient http, URI base, Prompt p, int maxTokens) throws IOException, InterruptedException {
        long start = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(p, maxTokens))).build(),
                HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) {
            throw new IOException(p.id() + ": status " + r.statusCode() + ": " + String.join("\n", r.body().toList()));
        }
        StringBuilder text = new StringBuilder();
        double first = -1;
        int promptTokens = -1, completionTokens = -1;
        long kvBytes = -1;
        double bits = 0;
        Iterator<String> lines = r.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonObject chunk = Json.parseObject(line.substring(6), p.id());
            if (chunk.has("error")) throw new IOException(p.id() + ": " + line);
            JsonArray choices = chunk.requireArray("choices");
            if (choices.size() == 0) {
                promptTokens = chunk.requireObject("usage").requireInt("prompt_tokens");
                completionTokens = chunk.requireObject("usage").requireInt("completion_tokens");
                continue;
            }
            JsonObject choice = (JsonObject) choices.get(0);
            String delta = choice.requireObject("delta").optString("content").orElse("");
            if (!delta.isEmpty() && first < 0) first = (System.nanoTime() - start) / 1e9;
            text.append(delta);
            if (chunk.has("akvq")) {
                kvBytes = chunk.requireObject("akvq").requireLong("kv_bytes");
                bits = chunk.requireObject("akvq").requireDouble("bits_per_value");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Answer(text.toString(), promptTokens, completionTokens, first < 0 ? seconds : first, seconds, kvBytes, bits);
    }

    /** The solo pass, then the concurrent one; see the class comment. */
    public static Summary run(URI base, List<Prompt> prompts, int clients, int requests, int maxTokens) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Map<String, Answer> solo = new LinkedHashMap<>();
        for (Prompt p : prompts) solo.put(p.id(), ask(http, base, p, maxTokens));
        AtomicInteger next = new AtomicInteger();
        List<Answer> answers = new ArrayList<>();
        List<Prompt> asked = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Object[]>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    List<Object[]> mine = new ArrayList<>();
                    for (int i; (i = next.getAndIncrement()) < requests; ) {
                        Prompt p = prompts.get(i % prompts.size());
                        mine.add(new Object[] {p, ask(http, base, p, maxTokens)});
                    }
                    return mine;
                }));
            }
            for (var f : futures) {
                for (Object[] pair : f.get()) {
                    asked.add((Prompt) pair[0]);
                    answers.add((Answer) pair[1]);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int mismatches = 0;
        long tokens = 0;
        double kv = 0, bits = 0;
        for (int i = 0; i < answers.size(); i++) {
            Answer a = answers.get(i), s = solo.get(asked.get(i).id());
            if (!a.text().equals(s.text()) || a.completionTokens() != s.completionTokens()) mismatches++;
            tokens += a.completionTokens();
            kv += a.kvBytes();
            bits += a.bitsPerValue();
        }
        double[] ttft = answers.stream().mapToDouble(Answer::firstTokenSeconds).sorted().toArray();
        double[] latency = answers.stream().mapToDouble(Answer::seconds).sorted().toArray();
        return new Summary(answers.size(), clients, seconds, answers.size() / seconds, tokens / seconds, percentile(ttft, 0.5),
                percentile(ttft, 0.99), percentile(latency, 0.5), percentile(latency, 0.99), mismatches, gauge(http, base,
                "akvq_kv_bytes_in_use"), kv / answers.size(), bits / answers.size(), solo);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** A gauge's value from /metrics. */
    public static long gauge(HttpClient http, URI base, String name) throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return Arrays.stream(text.split("\n")).filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Long.parseLong(l.substring(name.length() + 1).trim()))
                .orElseThrow(() -> new IOException("/metrics has no " + name));
    }
}
