package dev.akvq.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.server.GenerationBackend.Generation;
import dev.akvq.server.GenerationBackend.Outcome;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonFormatException;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code akvq serve}: OpenAI's chat-completions and completions API over the JDK's own HTTP server,
 * one virtual thread per exchange. The server listens at once and answers 503 until
 * {@link #load} has built the model; {@code /health} says which. A request's body is limited in
 * size (413, checked on Content-Length before reading) and in time (a body not complete within
 * the timeout drops the connection); it is parsed, its images decoded under a pixel limit, and
 * handed to the {@link GenerationBackend}. The backend's events reach the exchange's own thread
 * through a queue, so a slow or vanished client never holds up generation; a write that fails
 * cancels the request, which releases its cache. No exception text beyond an {@link ApiError}'s
 * message reaches a client; anything unexpected is logged here and answered with a plain 500.
 */
public final class OpenAiServer implements AutoCloseable {
    /**
     * @param apiKey         null: no key checked
     * @param allowFiles     null: image paths refused
     * @param bodyTimeoutMillis how long a request body may take to arrive
     * @param graceMillis    on shutdown, how long running requests may take to finish before they are cancelled
     */
    public record Options(String host, int port, String apiKey, long maxBodyBytes, Path allowFiles, long maxImagePixels,
                          long bodyTimeoutMillis, long graceMillis) {
        public static final long DEFAULT_MAX_BODY = 20L << 20;
        public static final long DEFAULT_MAX_IMAGE_PIXELS = 4096L * 4096;

        public Options {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("body limit out of range: " + maxBodyBytes);
            if (maxImagePixels < 1) throw new IllegalArgumentException("image pixel limit must be positive");
            if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("the API key must not be empty");
        }

        /** Loopback, the given port, no key, no files, the default limits, 30 s body timeout, 30 s grace. */
        public static Options loopback(int port) {
            return new Options("127.0.0.1", port, null, DEFAULT_MAX_BODY, null, DEFAULT_MAX_IMAGE_PIXELS, 30_000, 30_000);
        }
    }

    private final Options options;
    private final PrintStream log;
    private final HttpServer http;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "akvq-serve-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final Metrics metrics = new Metrics();
    private final RequestParser parser;
    private final byte[] apiKeyDigest;
    private volatile GenerationBackend backend;
    private volatile boolean shuttingDown;

    private OpenAiServer(Options options, PrintStream log) throws IOException {
        this.options = options;
        this.log = log;
        Path root = options.allowFiles() == null ? null : options.allowFiles().toRealPath();
        this.parser = new RequestParser(new ImageInput(root, options.maxImagePixels(), options.maxBodyBytes()));
        this.apiKeyDigest = options.apiKey() == null ? null : sha256(options.apiKey());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
        http.createContext("/", this::handle);
        http.setExecutor(exchanges);
        http.start();
    }

    /** Binds and starts listening; every API call answers 503 until {@link #load}. */
    public static OpenAiServer start(Options options, PrintStream log) throws IOException {
        return new OpenAiServer(options, log);
    }

    /** The base URL, e.g. http://127.0.0.1:8080 (the port the system chose when 0 was asked). */
    public URI url() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    /**
     * Loads the model in {@code modelDirectory} and starts serving it, one request at a time.
     *
     * @return one line for the operator: model, family, KV mode and budget
     */
    public String load(Path modelDirectory, KvCacheSettings settings, long kvBudget, int maxQueue, int threads) {
        ServedModel model = ServedModel.load(modelDirectory, threads);
        serve(new SequentialBackend(model, settings, kvBudget, maxQueue, log));
        return "model " + model.id() + " (" + model.modelType() + ", context " + model.contextLength() + " tokens, prompt "
                + model.promptFormat() + "); KV cache " + settings.describe() + ", budget " + kvBudget + " bytes; queue " + maxQueue;
    }

    /** Starts answering with {@code b} (tests give a scripted backend). */
    void serve(GenerationBackend b) {
        if (shuttingDown) {
            b.close();
            throw new IllegalStateException("the server is shut down");
        }
        this.backend = b;
    }

    /**
     * Graceful stop (SIGTERM): /health and new requests answer 503, running and queued requests get
     * {@link Options#graceMillis} to finish and are then cancelled, then the listener closes.
     */
    public void shutdown() throws InterruptedException {
        shuttingDown = true;
        GenerationBackend b = backend;
        if (b != null) b.shutdown(options.graceMillis());
        http.stop(1);
        exchanges.shutdown();
        exchanges.awaitTermination(5, TimeUnit.SECONDS);
        watchdog.shutdownNow();
        if (b != null) b.close();
    }

    @Override
    public void close() {
        try {
            shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean ready() {
        return backend != null && !shuttingDown;
    }

    // ---- routing ----

    private void handle(HttpExchange ex) {
        long arrival = System.nanoTime();
        String path = ex.getRequestURI().getPath();
        String endpoint = switch (path) {
            case "/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions" -> path;
            default -> "other";
        };
        try {
            switch (path) {
                case "/health" -> {
                    method(ex, "GET");
                    String status = ready() ? "ok" : shuttingDown ? "shutting_down" : "loading";
                    send(ex, ready() ? 200 : 503, "application/json", new JsonText().beginObject().field("status", status).endObject().toString());
                }
                case "/metrics" -> {
                    method(ex, "GET");
                    send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(backend, ready()));
                }
                case "/v1/models" -> {
                    authorize(ex);
                    method(ex, "GET");
                    send(ex, 200, "application/json", models(available()));
                    metrics.request(endpoint, "ok");
                }
                case "/v1/chat/completions", "/v1/completions" -> {
                    authorize(ex);
                    method(ex, "POST");
                    GenerationBackend b = available();
                    byte[] body = readBody(ex);
                    JsonObject json;
                    try {
                        json = Json.parseObject(Json.decodeUtf8(java.nio.ByteBuffer.wrap(body), "request body"), "request body");
                    } catch (JsonFormatException e) {
                        throw ApiError.invalid(null, "the body is not valid JSON: " + e.getMessage());
                    }
                    boolean chat = path.equals("/v1/chat/completions");
                    RequestParser.Parsed parsed = chat ? parser.chat(json) : parser.completion(json);
                    String outcome = generate(ex, b, parsed, chat, arrival);
                    metrics.request(endpoint, outcome);
                }
                default -> throw new ApiError(404, "invalid_request_error", null, "not_found", "no route " + path
                        + "; this server has POST /v1/chat/completions, POST /v1/completions, GET /v1/models, /health, /metrics");
            }
        } catch (ApiError e) {
            if (!endpoint.equals("/health") && !endpoint.equals("/metrics")) metrics.request(endpoint, "error_" + e.status);
            trySend(ex, e);
        } catch (IOException e) {
            metrics.request(endpoint, "cancelled");   // the client went away
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            log.println("akvq serve: " + ex.getRequestMethod() + " " + path + " failed: " + e);
            e.printStackTrace(log);
            metrics.request(endpoint, "error_500");
            trySend(ex, ApiError.internal());
        } finally {
            ex.close();
        }
    }

    private GenerationBackend available() {
        GenerationBackend b = backend;
        if (shuttingDown) throw ApiError.unavailable("the server is shutting down");
        if (b == null) throw ApiError.unavailable("the model is still loading; retry when GET /health answers 200");
        return b;
    }

    private static void method(HttpExchange ex, String expected) {
        if (!ex.getRequestMethod().equals(expected)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", ex.getRequestURI().getPath()
                    + " takes " + expected + ", not " + ex.getRequestMethod());
        }
    }

    /** Bearer token compared in constant time (digests of equal length). */
    private void authorize(HttpExchange ex) {
        if (apiKeyDigest == null) return;
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!MessageDigest.isEqual(apiKeyDigest, sha256(given))) throw ApiError.unauthorized();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The body, at most the limit (413 otherwise) and within the body timeout (else the connection is dropped). */
    private byte[] readBody(HttpExchange ex) throws IOException {
        long limit = options.maxBodyBytes();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > limit) throw ApiError.tooLarge(limit);
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "Content-Length is not a number");
            }
        }
        ScheduledFuture<?> timeout = watchdog.schedule(ex::close, options.bodyTimeoutMillis(), TimeUnit.MILLISECONDS);
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes((int) limit + 1);
            if (body.length > limit) throw ApiError.tooLarge(limit);
            return body;
        } finally {
            timeout.cancel(false);
        }
    }

    private String models(GenerationBackend b) {
        GenerationBackend.ModelCard m = b.card();
        JsonText j = new JsonText().beginObject().field("object", "list").key("data").beginArray();
        j.beginObject().field("id", m.id()).field("object", "model").field("created", 0).field("owned_by", "akvq");
        j.key("akvq").beginObject().field("model_type", m.modelType()).field("takes_images", m.takesImages())
                .field("context_length", m.contextLength()).field("prompt_format", m.promptFormat())
                .field("kv_mode", b.kvMode()).field("kv", b.kvDescription()).field("kv_budget_bytes", b.kvBudget()).endObject();
        return j.endObject().endArray().endObject().toString();
    }

    // ---- one generation ----

    /** What the backend said, in order, for the exchange's thread to write. */
    private sealed interface Event permits Started, Text, Finished, Failed {}

    private record Started(int promptTokens) implements Event {}

    private record Text(String delta) implements Event {}

    private record Finished(Outcome outcome) implements Event {}

    private record Failed(ApiError error) implements Event {}

    private static final class Events implements GenerationBackend.TokenListener {
        final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();

        @Override
        public void started(int promptTokens) {
            queue.add(new Started(promptTokens));
        }

        @Override
        public void text(String delta) {
            queue.add(new Text(delta));
        }

        @Override
        public void finished(Outcome outcome) {
            queue.add(new Finished(outcome));
        }

        @Override
        public void failed(ApiError error) {
            queue.add(new Failed(error));
        }
    }

    /** Runs one request to its end; returns its outcome for the metrics. */
    private String generate(HttpExchange ex, GenerationBackend b, RequestParser.Parsed parsed, boolean chat, long arrival)
            throws IOException {
        Events events = new Events();
        Generation generation = b.submit(parsed.request(), events);   // ApiError here: nothing sent yet
        Response response = new Response(ex, b, chat, parsed.stream(), parsed.includeUsage(), b.card().id());
        long firstText = 0;
        try {
            while (true) {
                Event e;
                try {
                    e = events.queue.take();
                } catch (InterruptedException interrupted) {
                    generation.cancel();
                    Thread.currentThread().interrupt();
                    return "cancelled";
                }
                switch (e) {
                    case Started s -> response.start();
                    case Text t -> {
                        if (firstText == 0) {
                            firstText = System.nanoTime();
                            metrics.timeToFirstToken((firstText - arrival) / 1e9);
                        }
                        response.text(t.delta());
                    }
                    case Finished f -> {
                        Outcome o = f.outcome();
                        metrics.tokens(o.promptTokens(), o.completionTokens());
                        if (o.finishReason().equals("cancelled") && !response.started) {
                            throw ApiError.unavailable("the request was cancelled before it started (the server is shutting down)");
                        }
                        response.finish(o);
                        metrics.latency((System.nanoTime() - arrival) / 1e9);
                        return o.finishReason().equals("cancelled") ? "cancelled" : "ok";
                    }
                    case Failed f -> {
                        if (!response.started) throw f.error();
                        response.fail(f.error());
                        return "error_" + f.error().status;
                    }
                }
            }
        } catch (IOException clientGone) {
            generation.cancel();
            countCancelled(events);
            throw clientGone;
        }
    }

    /** After a cancel, the sequence ends at its next token: counts the tokens it generated (waits at most a minute). */
    private void countCancelled(Events events) {
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            for (Event e; (e = events.queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
                if (e instanceof Finished f) metrics.tokens(f.outcome().promptTokens(), f.outcome().completionTokens());
                if (e instanceof Finished || e instanceof Failed) return;
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The response of one generation: a JSON body or a server-sent event stream, in OpenAI's shapes. */
    private static final class Response {
        final HttpExchange ex;
        final GenerationBackend backend;
        final boolean chat, stream, includeUsage;
        final String id, model;
        final long created = System.currentTimeMillis() / 1000;
        final StringBuilder text = new StringBuilder();
        OutputStream out;
        boolean started;

        Response(HttpExchange ex, GenerationBackend backend, boolean chat, boolean stream, boolean includeUsage, String model) {
            this.ex = ex;
            this.backend = backend;
            this.chat = chat;
            this.stream = stream;
            this.includeUsage = includeUsage;
            this.model = model;
            this.id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        }

        /**
         * The prompt is in: from here the status is 200. A stream sends its role chunk; a plain
         * response sends its headers and, per token, one space before its JSON (JSON allows
         * leading whitespace), so that a client that has gone away is noticed at the next token.
         */
        void start() throws IOException {
            Headers h = ex.getResponseHeaders();
            h.set("Content-Type", stream ? "text/event-stream; charset=utf-8" : "application/json");
            if (stream) {
                h.set("Cache-Control", "no-cache");
                h.set("X-Accel-Buffering", "no");   // nginx: pass events through unbuffered
            }
            ex.sendResponseHeaders(200, 0);
            out = ex.getResponseBody();
            started = true;
            if (stream && chat) event(chunk(j -> j.key("delta").beginObject().field("role", "assistant").field("content", "").endObject(), null, null));
        }

        void text(String delta) throws IOException {
            if (stream) {
                event(chunk(j -> {
                    if (chat) j.key("delta").beginObject().field("content", delta).endObject();
                    else j.field("text", delta);
                }, null, null));
            } else {
                text.append(delta);
                out.write(' ');
                out.flush();
            }
        }

        void finish(Outcome o) throws IOException {
            String reason = o.finishReason().equals("cancelled") ? "length" : o.finishReason();
            if (stream) {
                event(chunk(j -> {
                    if (chat) j.key("delta").beginObject().endObject();
                    else j.field("text", "");
                }, reason, o));
                if (includeUsage) event(usageChunk(o));
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                return;
            }
            JsonText j = new JsonText().beginObject().field("id", id).field("object", chat ? "chat.completion" : "text_completion")
                    .field("created", created).field("model", model).key("choices").beginArray().beginObject().field("index", 0);
            if (chat) j.key("message").beginObject().field("role", "assistant").field("content", text.toString()).endObject();
            else j.field("text", text.toString());
            j.key("logprobs").nullValue().field("finish_reason", reason).endObject().endArray();
            usage(j, o);
            extension(j, o);
            out.write(j.endObject().toString().getBytes(StandardCharsets.UTF_8));
        }

        /** A failure after the 200 went out: the error object as the last event (stream) or as the body. */
        void fail(ApiError e) throws IOException {
            out.write((stream ? "data: " + e.toJson() + "\n\n" : e.toJson()).getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private String chunk(java.util.function.Consumer<JsonText> choice, String finishReason, Outcome o) {
            JsonText j = new JsonText().beginObject().field("id", id).field("object", chat ? "chat.completion.chunk" : "text_completion")
                    .field("created", created).field("model", model).key("choices").beginArray().beginObject().field("index", 0);
            choice.accept(j);
            j.key("logprobs").nullValue().key("finish_reason").value(finishReason).endObject().endArray();
            if (includeUsage) j.key("usage").nullValue();
            if (o != null) extension(j, o);
            return j.endObject().toString();
        }

        private String usageChunk(Outcome o) {
            JsonText j = new JsonText().beginObject().field("id", id).field("object", chat ? "chat.completion.chunk" : "text_completion")
                    .field("created", created).field("model", model).key("choices").beginArray().endArray();
            usage(j, o);
            return j.endObject().toString();
        }

        private static void usage(JsonText j, Outcome o) {
            j.key("usage").beginObject().field("prompt_tokens", o.promptTokens()).field("completion_tokens", o.completionTokens())
                    .field("total_tokens", o.promptTokens() + o.completionTokens()).endObject();
        }

        /** akvq's extension: the cache this answer used. */
        private void extension(JsonText j, Outcome o) {
            j.key("akvq").beginObject().field("kv_mode", backend.kvMode()).field("kv", backend.kvDescription()).field("kv_bytes", o.kvBytes())
                    .field("bits_per_value", o.bitsPerValue()).field("kv_budget_bytes", backend.kvBudget())
                    .field("cancelled", o.finishReason().equals("cancelled")).endObject();
        }

        private void event(String json) throws IOException {
            out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    // ---- plain responses ----

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The error, unless the response has already begun or the client is gone. */
    private static void trySend(HttpExchange ex, ApiError e) {
        try {
            if (e.status == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            if (e.status == 429 || e.status == 503) ex.getResponseHeaders().set("Retry-After", "1");
            send(ex, e.status, "application/json", e.toJson());
        } catch (IOException | RuntimeException ignored) {
            // headers already sent or the connection is closed: nothing more can be said
        }
    }
}
