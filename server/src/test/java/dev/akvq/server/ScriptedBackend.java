package dev.akvq.server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend without a model for the HTTP layer's tests: one request at a time, each answering
 * {@code tokens} words "w0 w1 ..." one every {@code delayMillis}, holding 1000 KV bytes per token
 * while it runs, with the sequential backend's queue rule (up to {@code maxQueue} wait, then 429).
 */
final class ScriptedBackend implements GenerationBackend {
    final int tokens;
    final long delayMillis;
    final int maxQueue;
    final AtomicLong kv = new AtomicLong();
    final AtomicInteger waiting = new AtomicInteger(), runningNow = new AtomicInteger(), cancelled = new AtomicInteger();
    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private volatile boolean accepting = true;

    ScriptedBackend(int tokens, long delayMillis, int maxQueue) {
        this.tokens = tokens;
        this.delayMillis = delayMillis;
        this.maxQueue = maxQueue;
    }

    @Override
    public ModelCard card() {
        return new ModelCard("scripted", "llama", true, 4096, "scripted words");
    }

    @Override
    public String kvMode() {
        return "akvq";
    }

    @Override
    public String kvDescription() {
        return "scripted akvq";
    }

    @Override
    public synchronized Generation submit(GenerationRequest request, TokenListener listener) {
        if (!accepting) throw ApiError.unavailable("shutting down");
        if (waiting.get() >= maxQueue && runningNow.get() > 0) throw ApiError.queueFull(maxQueue);
        int n = request.maxTokens().orElse(tokens);
        waiting.incrementAndGet();
        var job = new Object() {
            volatile boolean stop;
        };
        worker.submit(() -> {
            waiting.decrementAndGet();
            runningNow.incrementAndGet();
            try {
                listener.started(3);
                int i = 0;
                String reason = "length";
                for (; i < n; i++) {
                    if (job.stop) {
                        reason = "cancelled";
                        cancelled.incrementAndGet();
                        break;
                    }
                    kv.addAndGet(1000);
                    Thread.sleep(delayMillis);
                    listener.text((i == 0 ? "" : " ") + "w" + i);
                }
                listener.finished(new Outcome(reason, 3, i, 1000L * i, 2.5, 0));
            } catch (Exception e) {
                listener.failed(ApiError.internal());
            } finally {
                kv.set(0);
                runningNow.decrementAndGet();
            }
        });
        return () -> job.stop = true;
    }

    @Override
    public long kvBytesInUse() {
        return kv.get();
    }

    @Override
    public long kvBudget() {
        return 1 << 20;
    }

    @Override
    public int queueDepth() {
        return waiting.get();
    }

    @Override
    public int running() {
        return runningNow.get();
    }

    @Override
    public void shutdown(long graceMillis) throws InterruptedException {
        accepting = false;
        worker.shutdown();
        worker.awaitTermination(graceMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
