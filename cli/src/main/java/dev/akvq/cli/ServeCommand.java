package dev.akvq.cli;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.server.OpenAiServer;
import dev.akvq.tensor.WorkerPool;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code akvq serve}: the OpenAI-compatible HTTP server ({@link OpenAiServer}). Listens first, loads
 * the model (503 until then), prints the URL, the model, the KV mode and budget; SIGTERM or Ctrl-C
 * stops taking requests, lets running ones finish within the grace period, then cancels the rest.
 */
final class ServeCommand implements Command {
    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "OpenAI-compatible HTTP server (chat with images, streaming, /metrics)";
    }

    @Override
    public String help() {
        return """
                akvq serve: an OpenAI-compatible HTTP server

                Usage: akvq serve --model DIR [--host 127.0.0.1] [--port 8080] [--kv MODE] [--kv-... settings]
                                  [--kv-budget BYTES] [--max-queue N] [--api-key KEY] [--allow-files DIR]
                                  [--max-body BYTES] [--max-image-pixels N] [--grace SECONDS] [--threads N]

                POST /v1/chat/completions (messages with text and image_url parts: data: URLs, or paths
                inside --allow-files; stream, max_tokens, temperature, top_p, seed, stop, n=1), POST
                /v1/completions, GET /v1/models (the model, its prompt format and KV mode), GET /health
                (200 once the model is loaded, 503 while loading or shutting down), GET /metrics
                (Prometheus text). Every answer carries an "akvq" object with the KV mode, the cache's bytes
                and bits per value. Requests run one at a time in arrival order; up to --max-queue wait,
                more get 429. A request whose prompt plus max_tokens cannot fit the context or the KV budget
                gets 400. A client that disconnects cancels its request and frees its cache.

                Options:
                  --model DIR          a Hugging Face model directory with tokenizer.json
                  --host H             address to bind (default 127.0.0.1; any other without --api-key warns)
                  --port P             default 8080; 0 picks a free port
                  --kv-budget BYTES    KV-cache bytes requests are admitted against, e.g. 2GiB, 512MiB (default 2GiB)
                  --max-queue N        requests that may wait behind the running one (default 16)
                  --api-key KEY        require 'Authorization: Bearer KEY' on /v1/* (or set AKVQ_API_KEY)
                  --allow-files DIR    let image_url name files inside DIR (symlinks resolved, '..' refused)
                  --max-body BYTES     request body limit (default 20MiB; larger bodies get 413)
                  --max-image-pixels N pixel limit per image, checked before decoding (default 16777216)
                  --grace SECONDS      on SIGTERM, how long running requests may finish (default 30)
                  --threads N          worker threads (default: all cores)
                """ + KvFlags.HELP + """

                Examples:
                  akvq serve --model tests/src/test/resources/fixtures/models/llava-shapes --kv akvq --port 8080
                  curl -s localhost:8080/v1/chat/completions -H 'Content-Type: application/json' \\
                      -d '{"messages": [{"role": "user", "content": "What color is the triangle?"}], "max_tokens": 8}'
                  akvq serve --model ~/models/Qwen2-VL-2B-Instruct --host 0.0.0.0 --api-key "$KEY" --kv-budget 4GiB
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        Flags flags = Flags.parse(name(), args, KvFlags.withValue(Set.of("model", "host", "port", "kv-budget", "max-queue",
                "api-key", "allow-files", "max-body", "max-image-pixels", "grace", "threads")), KvFlags.switches(Set.of()));
        Path dir = flags.existingDirectory("model");
        KvCacheSettings settings = KvFlags.parse(flags, dir);
        String host = flags.optional("host").orElse("127.0.0.1");
        int port = flags.optional("port").map(p -> wholeNumber("port", p, 0, 65535)).orElse(8080);
        long budget = flags.optional("kv-budget").map(b -> bytes("kv-budget", b)).orElse(2L << 30);
        int maxQueue = flags.optional("max-queue").map(q -> wholeNumber("max-queue", q, 0, 1_000_000)).orElse(16);
        String apiKey = flags.optional("api-key").orElse(System.getenv("AKVQ_API_KEY"));
        if (apiKey != null && apiKey.isEmpty()) throw new UsageException("--api-key must not be empty");
        Path allowFiles = flags.optional("allow-files").map(Path::of).orElse(null);
        if (allowFiles != null && !Files.isDirectory(allowFiles)) throw new UsageException("--allow-files " + allowFiles + ": not a directory");
        long maxBody = flags.optional("max-body").map(b -> bytes("max-body", b)).orElse(OpenAiServer.Options.DEFAULT_MAX_BODY);
        if (maxBody > Integer.MAX_VALUE - 8) throw new UsageException("--max-body is at most " + (Integer.MAX_VALUE - 8) + " bytes");
        long maxPixels = flags.optional("max-image-pixels").map(p -> (long) wholeNumber("max-image-pixels", p, 1, Integer.MAX_VALUE))
                .orElse(OpenAiServer.Options.DEFAULT_MAX_IMAGE_PIXELS);
        long grace = flags.optional("grace").map(g -> wholeNumber("grace", g, 0, 86_400)).orElse(30) * 1000L;
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());
        if (!isLoopback(host) && apiKey == null) {
            err.println("akvq serve: WARNING: binding " + host + " without --api-key: anyone who can reach this address can use"
                    + " the model. Give --api-key KEY (or AKVQ_API_KEY) or bind 127.0.0.1.");
        }

        OpenAiServer server = OpenAiServer.start(new OpenAiServer.Options(host, port, apiKey, maxBody, allowFiles, maxPixels, 30_000,
                grace), err);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            err.println("akvq serve: stopping: no new requests; running ones have " + grace / 1000 + " s to finish");
            server.close();
            err.println("akvq serve: stopped");
            stopped.countDown();
        }, "akvq-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(onSignal);
        err.println("akvq serve: listening on " + server.url() + " (loading " + dir + "; /health answers 503 until ready)");
        long start = System.nanoTime();
        try {
            String loaded = server.load(dir, settings, budget, maxQueue, threads);
            err.printf(Locale.ROOT, "akvq serve: ready in %.1f s at %s: %s%n", (System.nanoTime() - start) / 1e9, server.url(), loaded);
        } catch (RuntimeException e) {
            Runtime.getRuntime().removeShutdownHook(onSignal);
            server.close();
            throw e;
        }
        out.println(server.url());
        out.flush();
        stopped.await();
        return 0;
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new UsageException("--host " + host + ": unknown host");
        }
    }

    private static int wholeNumber(String flag, String text, int min, int max) {
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + flag + " expects a whole number in [" + min + ", " + max + "], got '" + text + "'");
    }

    /** A byte count: a whole number with an optional KiB, MiB, GiB (or KB, MB, GB, powers of 1000) suffix. */
    static long bytes(String flag, String text) {
        String t = text.trim();
        String[][] units = {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}, {"KB", "1000"}, {"MB", "1000000"},
                {"GB", "1000000000"}, {"B", "1"}};
        long scale = 1;
        for (String[] u : units) {
            if (t.regionMatches(true, t.length() - u[0].length(), u[0], 0, u[0].length()) && t.length() > u[0].length()) {
                scale = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            long v = Math.multiplyExact(Long.parseLong(t), scale);
            if (v > 0) return v;
        } catch (NumberFormatException | ArithmeticException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + flag + " expects a positive byte count such as 2GiB, 512MiB or 1000000, got '" + text + "'");
    }
}
