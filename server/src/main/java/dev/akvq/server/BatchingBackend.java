package dev.akvq.server;

import dev.akvq.engine.BatchScheduler;
import dev.akvq.engine.FinishReason;
import dev.akvq.engine.GenerationListener;
import dev.akvq.engine.GenerationResult;
import dev.akvq.engine.KvProjection;
import dev.akvq.engine.QueueFullException;
import dev.akvq.engine.RequestHandle;
import dev.akvq.engine.SchedulerSettings;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.quant.kv.KvCacheSettings;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's backend on the batching scheduler ({@link BatchScheduler}): many requests decoded
 * together, each step one pass over the weights, admitted in FIFO order while their projected KV
 * bytes ({@link KvProjection#UPPER_BOUND}, prompt plus max_tokens) fit {@code --kv-budget} together.
 * A request's prompt is laid out, preprocessed and run through the vision tower on its own
 * (virtual) thread before it is queued, so its token count is known and a bad request is a 400
 * before anything else happens; the scheduler's thread then prefills it in chunks between decode
 * steps of the others. Tokens become text here ({@link AnswerText}); a stop string ends the request
 * through {@link RequestHandle#stop}, a client gone through {@link RequestHandle#cancel}, which
 * frees its cache before the next step.
 */
final class BatchingBackend implements GenerationBackend {
    /** max_tokens when a request gives none and generation_config.json has no max_new_tokens. */
    static final int DEFAULT_MAX_TOKENS = 1024;

    private final ServedModel model;
    private final KvCacheSettings settings;
    private final BatchScheduler scheduler;
    private final int maxQueue;
    private final Set<Integer> eos;
    private final PrintStream log;
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean accepting = true;

    BatchingBackend(ServedModel model, KvCacheSettings settings, long budget, int maxQueue, int maxBatch, PrintStream log) {
        this.model = model;
        this.settings = settings;
        this.maxQueue = maxQueue;
        this.log = log;
        this.eos = Set.copyOf(model.eosTokenIds());
        // The scheduler's queue takes one more than --max-queue allows to wait, so that the server's own
        // check below is the one that answers 429 with its message.
        this.scheduler = new BatchScheduler(model.decoder(), new SchedulerSettings(budget, maxBatch, SchedulerSettings.DEFAULT_CHUNK,
                maxQueue + 1));
        scheduler.start();
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

    @Override
    public Generation submit(GenerationRequest request, TokenListener listener) {
        refuseEarly();   // before any image is preprocessed
        PreparedPrompt prompt = model.prepare(request);
        int maxTokens = maxTokens(prompt.tokens(), request);
        var g = model.generation();
        double temperature = Double.isNaN(request.temperature()) ? (g.doSample() ? g.temperature() : 0) : request.temperature();
        Sampler sampler = temperature == 0 ? Sampler.greedy()
                : Sampler.sampling(temperature, g.topK(), Double.isNaN(request.topP()) ? g.topP() : request.topP(), request.seed());
        var job = new dev.akvq.engine.GenerationRequest("request-" + ids.incrementAndGet(), prompt.tokens(), settings,
                () -> model.queue(prompt, settings), sampler, StopCondition.of(List.copyOf(eos), maxTokens));
        refuseEarly();
        RequestHandle handle;
        try {
            handle = scheduler.submit(job, new Listener(listener, new AnswerText(model.tokenizer(), request.stop()), prompt.tokens(),
                    maxTokens));
        } catch (QueueFullException e) {
            throw ApiError.queueFull(maxQueue);
        } catch (IllegalStateException e) {
            throw ApiError.unavailable("the server is shutting down");
        } catch (IllegalArgumentException e) {   // can never fit: checked in maxTokens already, kept as a 400
            throw ApiError.invalid("max_tokens", "kv_budget_exceeded", e.getMessage());
        }
        return handle::cancel;
    }

    private void refuseEarly() {
        if (!accepting) throw ApiError.unavailable("the server is shutting down");
        if (scheduler.stats().queued() >= maxQueue && scheduler.stats().running() > 0) throw ApiError.queueFull(maxQueue);
    }

    /** max_tokens, or a 400 when the prompt plus it cannot fit the context or the whole KV budget. */
    private int maxTokens(int prompt, GenerationRequest request) {
        int context = model.contextLength();
        long fits = tokensWithin(scheduler.settings().kvBudgetBytes(), context);
        if (prompt + 1L > context) {
            throw ApiError.invalid("messages", "context_length_exceeded", "the prompt is " + prompt + " tokens; with one generated"
                    + " token that exceeds the model's context of " + context + " tokens");
        }
        if (prompt + 1L > fits) {
            throw ApiError.invalid("messages", "kv_budget_exceeded", "the prompt is " + prompt + " tokens; with one generated token its"
                    + " cache may exceed the KV budget of " + scheduler.settings().kvBudgetBytes() + " bytes, which holds at most "
                    + fits + " tokens in this mode");
        }
        if (request.maxTokens().isEmpty()) {
            int wanted = model.generation().maxNewTokens().orElse(DEFAULT_MAX_TOKENS);
            return (int) Math.min(wanted, Math.min(context, fits) - prompt);
        }
        int maxTokens = request.maxTokens().getAsInt();
        if ((long) prompt + maxTokens > context) {
            throw ApiError.invalid("max_tokens", "context_length_exceeded", "the prompt is " + prompt + " tokens and max_tokens is "
                    + maxTokens + "; together they exceed the model's context of " + context + " tokens");
        }
        if ((long) prompt + maxTokens > fits) {
            throw ApiError.invalid("max_tokens", "kv_budget_exceeded", "the prompt is " + prompt + " tokens and max_tokens is "
                    + maxTokens + "; a cache of " + (prompt + maxTokens) + " tokens may exceed the KV budget of "
                    + scheduler.settings().kvBudgetBytes() + " bytes, which holds at most " + fits + " tokens in this mode");
        }
        return maxTokens;
    }

    /** The longest sequence (up to {@code limit} tokens) whose projected cache fits {@code bytes}. */
    private long tokensWithin(long bytes, int limit) {
        int lo = 0, hi = limit;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (KvProjection.UPPER_BOUND.bytes(settings, model.textConfig(), mid) <= bytes) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The scheduler's events for one request, as text for the HTTP layer. */
    private final class Listener implements GenerationListener {
        private final TokenListener out;
        private final AnswerText text;
        private final int promptTokens, maxTokens;
        private int generated;
        private boolean ended;

        Listener(TokenListener out, AnswerText text, int promptTokens, int maxTokens) {
            this.out = out;
            this.text = text;
            this.promptTokens = promptTokens;
            this.maxTokens = maxTokens;
        }

        @Override
        public void onStart(RequestHandle request) {
            out.started(promptTokens);
        }

        @Override
        public void onToken(RequestHandle request, int token) {
            generated++;
            String delta = text.push(token);
            if (eos.contains(token) || generated >= maxTokens || text.stopped()) {
                delta += text.finish();
                ended = true;
            }
            if (!delta.isEmpty()) out.text(delta);
            if (text.stopped()) request.stop();
        }

        @Override
        public void onFinish(RequestHandle request, GenerationResult result) {
            if (result.reason() == FinishReason.ERROR) {
                log.println("akvq serve: " + result.id() + " failed: " + result.error().orElse("(no message)"));
                out.failed(ApiError.internal());
                return;
            }
            if (!ended && result.reason() != FinishReason.CANCELLED) {
                String rest = text.finish();
                if (!rest.isEmpty()) out.text(rest);
            }
            out.finished(new Outcome(result.reason().json(), result.promptTokens(), result.tokens().size(), result.kvBytes(),
                    Double.isNaN(result.bitsPerValue()) ? 0 : result.bitsPerValue(), 0));
        }
    }

    @Override
    public long kvBytesInUse() {
        return scheduler.stats().kvBytesInUse();
    }

    @Override
    public long kvBudget() {
        return scheduler.settings().kvBudgetBytes();
    }

    @Override
    public int queueDepth() {
        return scheduler.stats().queued();
    }

    @Override
    public int running() {
        return scheduler.stats().running();
    }

    @Override
    public void shutdown(long graceMillis) throws InterruptedException {
        accepting = false;
        long deadline = System.currentTimeMillis() + graceMillis;
        while (scheduler.busy() && System.currentTimeMillis() < deadline) Thread.sleep(20);
        scheduler.close();   // cancels whatever is left
    }

    @Override
    public void close() {
        accepting = false;
        scheduler.close();
    }
}
