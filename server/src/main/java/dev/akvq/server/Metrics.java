package dev.akvq.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The server's counters and histograms, written in the Prometheus text exposition format
 * (version 0.0.4): requests by endpoint and outcome, tokens, time to first token and request
 * latency, plus the backend's gauges (queue depth, running sequences, KV bytes in use and budget)
 * read at scrape time.
 */
final class Metrics {
    /** Histogram bucket upper bounds in seconds, from a fast small model to a long CPU prefill. */
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final Map<String, AtomicLong> requests = new TreeMap<>();
    private final AtomicLong promptTokens = new AtomicLong(), completionTokens = new AtomicLong();
    private final Histogram firstToken = new Histogram(), latency = new Histogram();

    /** One finished request: {@code outcome} is "ok", "cancelled" or "error_STATUS". */
    void request(String endpoint, String outcome) {
        String key = "endpoint=\"" + endpoint + "\",outcome=\"" + outcome + "\"";
        synchronized (requests) {
            requests.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        }
    }

    void tokens(int prompt, int completion) {
        promptTokens.addAndGet(prompt);
        completionTokens.addAndGet(completion);
    }

    void timeToFirstToken(double seconds) {
        firstToken.observe(seconds);
    }

    void latency(double seconds) {
        latency.observe(seconds);
    }

    /** The exposition text; {@code backend} is null while the model loads. */
    String render(GenerationBackend backend, boolean ready) {
        StringBuilder s = new StringBuilder();
        header(s, "akvq_requests_total", "counter", "HTTP requests by endpoint and outcome (ok, cancelled, error_STATUS)");
        synchronized (requests) {
            requests.forEach((k, v) -> s.append("akvq_requests_total{").append(k).append("} ").append(v.get()).append('\n'));
        }
        gauge(s, "akvq_ready", "1 once the model is loaded and the server takes requests", ready ? 1 : 0);
        gauge(s, "akvq_queue_depth", "requests waiting to start", backend == null ? 0 : backend.queueDepth());
        gauge(s, "akvq_running_sequences", "sequences being prefilled or decoded", backend == null ? 0 : backend.running());
        gauge(s, "akvq_kv_bytes_in_use", "KV-cache bytes held by running sequences", backend == null ? 0 : backend.kvBytesInUse());
        gauge(s, "akvq_kv_budget_bytes", "the KV budget requests are admitted against", backend == null ? 0 : backend.kvBudget());
        header(s, "akvq_prompt_tokens_total", "counter", "prompt tokens prefilled, image tokens included");
        s.append("akvq_prompt_tokens_total ").append(promptTokens.get()).append('\n');
        header(s, "akvq_generated_tokens_total", "counter", "tokens generated");
        s.append("akvq_generated_tokens_total ").append(completionTokens.get()).append('\n');
        firstToken.render(s, "akvq_time_to_first_token_seconds", "from the request's arrival to its first generated token");
        latency.render(s, "akvq_request_duration_seconds", "from the request's arrival to its last byte");
        return s.toString();
    }

    private static void header(StringBuilder s, String name, String type, String help) {
        s.append("# HELP ").append(name).append(' ').append(help).append('\n');
        s.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder s, String name, String help, long value) {
        header(s, name, "gauge", help);
        s.append(name).append(' ').append(value).append('\n');
    }

    /** A cumulative histogram over {@link #BUCKETS}. */
    private static final class Histogram {
        private final AtomicLongArray counts = new AtomicLongArray(BUCKETS.length);
        private final AtomicLong count = new AtomicLong();
        private final DoubleAdder sum = new DoubleAdder();

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS.length; i++) {
                if (seconds <= BUCKETS[i]) counts.incrementAndGet(i);
            }
            count.incrementAndGet();
            sum.add(seconds);
        }

        void render(StringBuilder s, String name, String help) {
            header(s, name, "histogram", help);
            for (int i = 0; i < BUCKETS.length; i++) {
                s.append(name).append("_bucket{le=\"").append(String.format(Locale.ROOT, "%s", BUCKETS[i])).append("\"} ")
                        .append(counts.get(i)).append('\n');
            }
            s.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
            s.append(name).append("_sum ").append(sum.sum()).append('\n');
            s.append(name).append("_count ").append(count.get()).append('\n');
        }
    }
}
