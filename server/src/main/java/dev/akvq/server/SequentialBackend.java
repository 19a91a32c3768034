package dev.akvq.server;

import dev.akvq.model.generate.Sampler;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvFootprint;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs requests one at a time, in arrival order, on one platform thread (the kernels split each
 * step over the model's worker pool): what the server does until the batching scheduler takes
 * over behind the same interface. A request is admitted when its prompt plus max_tokens fits the
 * context and, by {@link KvProjection}'s bound, the KV budget; it then waits in a bounded FIFO
 * queue. Each token is handed to the request's listener as text; a {@link Generation#cancel} (its
 * client disconnected, or shutdown) stops the sequence after the current token
 * and releases its cache: its bytes leave {@link #kvBytesInUse} at once and the stores become
 * garbage (their off-heap rows are freed with them).
 */
final class SequentialBackend implements GenerationBackend {
    private final ServedModel model;
    private final KvCacheSettings settings;
    private final long budget;
    private final int maxQueue;
    private final PrintStream log;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Thread worker;
    private final Set<Integer> eos;
    private boolean accepting = true;
    private Job current;
    private volatile long kvInUse;

    SequentialBackend(ServedModel model, KvCacheSettings settings, long budget, int maxQueue, PrintStream log) {
        if (budget < 1) throw new IllegalArgumentException("KV budget must be positive, got " + budget);
        if (maxQueue < 0) throw new IllegalArgumentException("max queue must be >= 0, got " + maxQueue);
        this.model = model;
        this.settings = settings;
        this.budget = budget;
        this.maxQueue = maxQueue;
        this.log = log;
        this.eos = Set.copyOf(model.eosTokenIds());
        this.worker = Thread.ofPlatform().name("akvq-generate").daemon(true).start(this::work);
    }

    @Override
    public ModelCard card() {
        return new ModelCard(model.id(), model.modelType(), model.takesImages(), model.contextLength(), model.promptFormat());
    }

    @Override
    public String kvMode() {
        return settings.mode().flag();
    }

    @Override
    public String kvDescription() {
        return settings.describe();
    }

    KvCacheSettings settings() {
        return settings;
    }

    private final class Job implements Generation {
        final GenerationRequest request;
        final TokenListener listener;
        volatile boolean cancelled;

        Job(GenerationRequest request, TokenListener listener) {
            this.request = request;
            this.listener = listener;
        }

        @Override
        public void cancel() {
            cancelled = true;
            boolean dropped;
            synchronized (SequentialBackend.this) {
                dropped = queue.remove(this);
                if (dropped) SequentialBackend.this.notifyAll();
            }
            // Never started: its listener still hears the end (a running job ends on the worker).
            if (dropped) listener.finished(new Outcome("cancelled", 0, 0, 0, 0, 0));
        }
    }

    /**
     * Queues {@code request}; only the cheap refusals happen here (shutting down, full queue). Its
     * prompt is laid out, preprocessed and checked against the context and the budget on the
     * worker, in turn (the vision tower shares the model's worker pool), and a refusal there
     * reaches the listener as {@link TokenListener#failed} before anything was sent.
     */
    @Override
    public Generation submit(GenerationRequest request, TokenListener listener) {
        Job job = new Job(request, listener);
        synchronized (this) {
            if (!accepting) throw ApiError.unavailable("the server is shutting down");
            if (queue.size() >= maxQueue && current != null) throw ApiError.queueFull(maxQueue);
            queue.add(job);
            notifyAll();
        }
        return job;
    }

    /** How many tokens {@code prompt} may generate: max_tokens if the context and the budget hold it, else a 400. */
    private int admit(int prompt, GenerationRequest request) {
        int context = model.contextLength();
        long fits = tokensWithin(budget);   // the most tokens the budget can ever hold in this mode
        if (prompt + 1L > context) {
            throw ApiError.invalid("messages", "context_length_exceeded", "the prompt is " + prompt + " tokens; with one generated"
                    + " token that exceeds the model's context of " + context + " tokens");
        }
        if (prompt + 1L > fits) {
            throw ApiError.invalid("messages", "kv_budget_exceeded", "the prompt is " + prompt + " tokens; with one generated token its"
                    + " cache may exceed the KV budget of " + budget + " bytes, which holds at most " + fits + " tokens in this mode");
        }
        if (request.maxTokens().isEmpty()) return (int) Math.min(context, fits) - prompt;
        int maxTokens = request.maxTokens().getAsInt();
        if ((long) prompt + maxTokens > context) {
            throw ApiError.invalid("max_tokens", "context_length_exceeded", "the prompt is " + prompt + " tokens and max_tokens is "
                    + maxTokens + "; together they exceed the model's context of " + context + " tokens");
        }
        if ((long) prompt + maxTokens > fits) {
            throw ApiError.invalid("max_tokens", "kv_budget_exceeded", "the prompt is " + prompt + " tokens and max_tokens is "
                    + maxTokens + "; a cache of " + (prompt + maxTokens) + " tokens may exceed the KV budget of " + budget
                    + " bytes, which holds at most " + fits + " tokens in this mode");
        }
        return maxTokens;
    }

    /** The longest sequence whose projected cache fits {@code bytes}. */
    long tokensWithin(long bytes) {
        long lo = 0, hi = 1;
        while (hi < (1L << 40) && KvProjection.bytes(settings, model.textConfig(), hi) <= bytes) hi *= 2;
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (KvProjection.bytes(settings, model.textConfig(), mid) <= bytes) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private void work() {
        while (true) {
            Job job;
            synchronized (this) {
                while (queue.isEmpty() && (accepting || current != null)) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) return;
                job = queue.poll();
                current = job;
            }
            try {
                generate(job);
            } finally {
                kvInUse = 0;
                synchronized (this) {
                    current = null;
                    notifyAll();
                }
            }
        }
    }

    private void generate(Job job) {
        if (job.cancelled) {
            job.listener.finished(new Outcome("cancelled", 0, 0, 0, 0, 0));
            return;
        }
        GenerationRequest r = job.request;
        long start = System.nanoTime();
        try {
            PreparedPrompt prompt = model.prepare(r);
            int maxTokens = admit(prompt.tokens(), r);
            if (job.cancelled) {
                job.listener.finished(new Outcome("cancelled", prompt.tokens(), 0, 0, 0, 0));
                return;
            }
            try (TokenSequence sequence = model.prefill(prompt, settings)) {
                kvInUse = sequence.kvBytes();
                job.listener.started(prompt.tokens());
                var g = model.generation();
                double temperature = Double.isNaN(r.temperature()) ? (g.doSample() ? g.temperature() : 0) : r.temperature();
                Sampler sampler = temperature == 0 ? Sampler.greedy()
                        : Sampler.sampling(temperature, g.topK(), Double.isNaN(r.topP()) ? g.topP() : r.topP(), r.seed());
                AnswerText text = new AnswerText(model.tokenizer(), r.stop());
                float[] logits = sequence.logits();
                int generated = 0;
                long firstToken = 0;
                String reason;
                while (true) {
                    int token = sampler.next(logits);
                    generated++;
                    if (generated == 1) firstToken = System.nanoTime() - start;
                    boolean end = eos.contains(token);
                    String delta = text.push(token);
                    if (end || generated >= maxTokens || text.stopped()) delta += text.finish();
                    if (!delta.isEmpty()) job.listener.text(delta);
                    if (end || text.stopped()) {
                        reason = "stop";
                        break;
                    }
                    if (generated >= maxTokens) {
                        reason = "length";
                        break;
                    }
                    if (job.cancelled) {
                        reason = "cancelled";
                        break;
                    }
                    logits = sequence.step(token);
                    kvInUse = sequence.kvBytes();
                }
                KvFootprint footprint = sequence.kvFootprint();
                kvInUse = 0;   // the sequence closes (its cache dropped) as the try block ends
                job.listener.finished(new Outcome(reason, prompt.tokens(), generated, footprint.bytes(), footprint.bitsPerValue(),
                        firstToken));
            }
        } catch (ApiError e) {
            job.listener.failed(e);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            log.println("akvq serve: request failed: " + e);
            e.printStackTrace(log);
            job.listener.failed(ApiError.internal());
        }
    }

    @Override
    public long kvBytesInUse() {
        return kvInUse;
    }

    @Override
    public long kvBudget() {
        return budget;
    }

    @Override
    public synchronized int queueDepth() {
        return queue.size();
    }

    @Override
    public synchronized int running() {
        return current == null ? 0 : 1;
    }

    @Override
    public void shutdown(long graceMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + graceMillis;
        List<Job> toCancel = new ArrayList<>();
        synchronized (this) {
            accepting = false;
            notifyAll();
            while ((current != null || !queue.isEmpty()) && System.currentTimeMillis() < deadline) {
                wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
            if (current != null) toCancel.add(current);
            toCancel.addAll(queue);
        }
        for (Job j : toCancel) j.cancel();
        worker.join(graceMillis + 60_000);
    }

    @Override
    public void close() {
        synchronized (this) {
            accepting = false;
            notifyAll();
        }
        for (Job j : List.copyOf(queue)) j.cancel();
    }
}
