package dev.akvq.engine;

import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.DecoderBatch;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvFootprint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Continuous batching under one KV-cache memory budget. Each {@link #step} runs the new tokens of
 * every running sequence through the decoder at once ({@link LlamaDecoder#forwardBatch}: one pass
 * over the weights): a prompt chunk of at most {@code chunkTokens} tokens for sequences still in
 * their prompt (at most {@code chunkTokens} prompt tokens per step in all, so running sequences
 * keep streaming while a long prompt is prefilled), one token for the others. A sequence joins
 * the batch on the step after it is admitted and leaves at its stop.
 *
 * <p><b>Admission.</b> A request waits in a FIFO queue ({@code queueCapacity} at most; a full
 * queue refuses the submit) until the requests running hold room for it: it is admitted when the
 * projected bytes of every running request plus its own, each at {@code prompt + max_new_tokens}
 * tokens ({@link KvProjection#UPPER_BOUND} by default), fit the budget, and fewer than
 * {@code maxBatch} run. The queue is strict FIFO: a large request at the head is not overtaken.
 * A request whose projection alone exceeds the budget is refused at {@link #submit}.
 *
 * <p><b>When the projections are exceeded.</b> After each step the scheduler sums the exact
 * bytes of every running cache ({@link KeyValueStore#bytes}). If they exceed the budget (a
 * projection below what a store really holds), the newest running sequence is preempted: its
 * cache is dropped, it goes back to the head of the queue, and when admitted again its prompt is
 * recomputed in the same chunks and its generated tokens are fed again one per step, which
 * rebuilds the same cache bit for bit (its tokens are not emitted twice; its sampler keeps its
 * state). This repeats until the rest fits; the oldest sequence is never preempted.
 *
 * <p><b>Threads.</b> {@link #submit} and {@link RequestHandle#cancel} are safe from any thread;
 * steps run on one thread, either the caller's ({@link #step}, {@link #runUntilIdle}) or the
 * scheduler's own ({@link #start}). Listeners are called on the stepping thread.
 */
public final class BatchScheduler implements AutoCloseable {
    private final LlamaDecoder decoder;
    private final SchedulerSettings settings;
    private final KvProjection projection;
    private final DecoderBatch batch;
    private final float[] logits;

    private final Object lock = new Object();
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();           // guarded by lock
    private final ArrayList<Entry> running = new ArrayList<>();           // stepping thread only, in admission order
    private Thread loop;
    private volatile boolean closing;

    private volatile long kvBytesInUse, kvBytesReserved, generatedTokens, promptTokensRun, steps, preemptions;

    /** One request's state from submit to finish. */
    private static final class Entry {
        final GenerationRequest request;
        final RequestHandle handle;
        final GenerationListener listener;
        final long projected;
        BatchedSequence sequence;          // null while queued
        int[] generated = new int[16];
        int generatedCount, fed;           // tokens generated; of them, fed back into the cache
        int segment = -1, preempted;
        boolean started;

        Entry(GenerationRequest request, GenerationListener listener, long projected) {
            this.request = request;
            this.handle = new RequestHandle(request.id());
            this.listener = listener;
            this.projected = projected;
        }
    }

    /** What the scheduler holds now (for progress lines and a server's metrics). */
    public record Stats(int running, int queued, long kvBytesInUse, long kvBytesReserved, long kvBudgetBytes,
                        long generatedTokens, long promptTokensRun, long steps, long preemptions) {}

    /**
     * @param decoder the model's plain decoder; every request's sequence must run it or its value-rotated twin
     */
    public BatchScheduler(LlamaDecoder decoder, SchedulerSettings settings) {
        this(decoder, settings, KvProjection.UPPER_BOUND);
    }

    /** As above, admitting by {@code projection} instead of the upper bound (tests use one that underestimates). */
    public BatchScheduler(LlamaDecoder decoder, SchedulerSettings settings, KvProjection projection) {
        this.decoder = decoder;
        this.settings = settings;
        this.projection = projection;
        this.batch = new DecoderBatch(decoder.config());
        this.logits = new float[decoder.config().vocabSize()];
    }

    public SchedulerSettings settings() {
        return settings;
    }

    /** The bytes {@code request} is charged at admission. */
    public long projectedBytes(GenerationRequest request) {
        return projection.bytes(request.kv(), decoder.config(), request.promptTokens() + request.stop().maxNewTokens());
    }

    /**
     * Queues {@code request}; {@code listener} hears its tokens and its end.
     *
     * @throws QueueFullException       when {@code queueCapacity} requests wait already
     * @throws IllegalArgumentException when the request can never run here: its projected bytes
     *                                  exceed the whole budget, or prompt plus max_new_tokens exceed
     *                                  the model's max_position_embeddings
     */
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        int total = request.promptTokens() + request.stop().maxNewTokens();
        if (total > decoder.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("request " + request.id() + ": prompt " + request.promptTokens() + " + max_new_tokens "
                    + request.stop().maxNewTokens() + " exceed max_position_embeddings " + decoder.config().maxPositionEmbeddings());
        }
        long projected = projectedBytes(request);
        if (projected > settings.kvBudgetBytes()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "request %s: its KV cache needs up to %d bytes (%d tokens at %s), more than the whole --kv-budget of %d bytes",
                    request.id(), projected, total, request.kv().mode().flag(), settings.kvBudgetBytes()));
        }
        Entry e = new Entry(request, listener, projected);
        synchronized (lock) {
            if (closing) throw new IllegalStateException("the scheduler is closed");
            if (queue.size() >= settings.queueCapacity()) {
                throw new QueueFullException("request " + request.id() + ": the queue is full (" + settings.queueCapacity()
                        + " requests waiting); retry later");
            }
            queue.addLast(e);
            lock.notifyAll();
        }
        return e.handle;
    }

    public Stats stats() {
        int queued;
        synchronized (lock) {
            queued = queue.size();
        }
        return new Stats(runningCount, queued, kvBytesInUse, kvBytesReserved, settings.kvBudgetBytes(), generatedTokens,
                promptTokensRun, steps, preemptions);
    }

    private volatile int runningCount;

    /** True while any request is queued or running. */
    public boolean busy() {
        synchronized (lock) {
            return !queue.isEmpty() || runningCount > 0;
        }
    }

    /** Steps on the calling thread until every submitted request has finished. */
    public void runUntilIdle() {
        while (busy()) step();
    }

    /** Starts stepping on a thread of the scheduler's own (a server's use); {@link #close} stops it. */
    public synchronized void start() {
        if (loop != null) throw new IllegalStateException("the scheduler is started already");
        loop = Thread.ofPlatform().name("akvq-scheduler").daemon().start(() -> {
            while (!closing) {
                synchronized (lock) {
                    while (!closing && queue.isEmpty() && running.isEmpty()) {
                        try {
                            lock.wait();
                        } catch (InterruptedException ex) {
                            return;
                        }
                    }
                }
                if (closing) break;
                try {
                    step();
                } catch (RuntimeException ex) {
                    // A fault of the scheduler itself: end what runs (with the reason) rather than leave its clients waiting.
                    for (Entry e : new ArrayList<>(running)) finish(e, FinishReason.ERROR, Optional.of("the scheduler failed: " + message(ex)));
                    running.clear();
                    runningCount = 0;
                    kvBytesInUse = 0;
                }
            }
        });
    }

    /** Stops the scheduler's thread (after its current step) and ends every request left with {@code cancelled}. */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
            t = loop;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        for (Entry e : new ArrayList<>(running)) finish(e, FinishReason.CANCELLED, Optional.of("the scheduler was closed"));
        running.clear();
        List<Entry> left;
        synchronized (lock) {
            left = new ArrayList<>(queue);
            queue.clear();
        }
        for (Entry e : left) finish(e, FinishReason.CANCELLED, Optional.of("the scheduler was closed"));
    }

    /**
     * One scheduling step: ends requests asked to end, admits what fits, runs one batched decoder
     * step, samples, streams, finishes, and preempts if the caches exceed the budget.
     */
    public void step() {
        for (int i = running.size() - 1; i >= 0; i--) {
            Entry e = running.get(i);
            if (e.handle.endAsked() != null) {
                running.remove(i);
                finish(e, e.handle.endAsked(), Optional.empty());
            }
        }
        admit();
        if (running.isEmpty()) {
            kvBytesInUse = 0;   // the last sequence just ended or was cancelled: its cache is gone now, not at the next step
            runningCount = 0;
            return;
        }
        runningCount = running.size();

        // This step's rows: a prompt chunk for sequences in their prompt (chunkTokens prompt rows per
        // step in all, the oldest first), one token for the others.
        batch.clear();
        int promptRows = 0, chunk = settings.chunkTokens();
        for (Entry e : running) {
            BatchedSequence s = e.sequence;
            int pending = s.pendingPromptTokens();
            e.segment = -1;
            if (pending > 0) {
                int n = Math.min(chunk, pending);
                if (promptRows + n > chunk) continue;
                promptRows += n;
                e.segment = s.addTo(batch, n, -1, n == pending);
            } else {
                e.segment = s.addTo(batch, 1, e.generated[e.fed++], true);
            }
        }
        try {
            decoder.forwardBatch(batch);
        } catch (RuntimeException ex) {
            // A step that fails leaves its sequences' caches half-written: every sequence in it ends.
            for (int i = running.size() - 1; i >= 0; i--) {
                Entry e = running.get(i);
                if (e.segment < 0) continue;
                running.remove(i);
                finish(e, FinishReason.ERROR, Optional.of(message(ex)));
            }
            runningCount = running.size();
            kvBytesInUse = bytesInUse();
            return;
        }
        steps++;
        promptTokensRun += promptRows;

        // Sample where a sequence has caught up with its tokens (a recomputed one replays first).
        int vocab = logits.length;
        for (int i = 0; i < running.size(); i++) {
            Entry e = running.get(i);
            if (e.segment < 0 || e.sequence.pendingPromptTokens() > 0 || e.fed < e.generatedCount) continue;
            System.arraycopy(batch.logits(), batch.logitsOffset(e.segment), logits, 0, vocab);
            int token = e.request.sampler().next(logits);
            if (e.generatedCount == e.generated.length) e.generated = Arrays.copyOf(e.generated, 2 * e.generatedCount);
            e.generated[e.generatedCount++] = token;
            generatedTokens++;
            FinishReason end = null;
            try {
                e.listener.onToken(e.handle, token);
                end = e.handle.endAsked();
            } catch (RuntimeException ex) {
                running.remove(i--);
                finish(e, FinishReason.ERROR, Optional.of("the listener failed: " + message(ex)));
                continue;
            }
            if (end == null && e.request.stop().isEos(token)) end = FinishReason.STOP;
            if (end == null && e.generatedCount >= e.request.stop().maxNewTokens()) end = FinishReason.LENGTH;
            if (end != null) {
                running.remove(i--);
                finish(e, end, Optional.empty());
            }
        }

        // The exact bytes held; past the budget, the newest sequences go back to the queue.
        long inUse = bytesInUse();
        while (inUse > settings.kvBudgetBytes() && running.size() > 1) {
            Entry newest = running.removeLast();
            inUse -= cacheBytes(newest.sequence);
            preempt(newest);
        }
        kvBytesInUse = inUse;
        runningCount = running.size();
    }

    /** Moves queue heads into the batch while the budget's projections and maxBatch allow. */
    private void admit() {
        while (running.size() < settings.maxBatch()) {
            Entry head;
            synchronized (lock) {
                head = queue.peekFirst();
                if (head == null) return;
                if (head.handle.endAsked() == null && kvBytesReserved + head.projected > settings.kvBudgetBytes()) return;
                queue.pollFirst();
            }
            if (head.handle.endAsked() != null) {
                finish(head, head.handle.endAsked(), Optional.empty());
                continue;
            }
            try {
                BatchedSequence s = head.request.prompt().newSequence();
                if (s.promptTokens() != head.request.promptTokens() || s.pendingPromptTokens() != s.promptTokens()) {
                    throw new IllegalStateException("the prompt holds " + s.promptTokens() + " tokens (" + s.pendingPromptTokens()
                            + " queued), the request said " + head.request.promptTokens());
                }
                if (s.decoder() != decoder) {
                    throw new IllegalStateException("the sequence runs another model's decoder than the scheduler's");
                }
                head.sequence = s;
            } catch (RuntimeException ex) {
                finish(head, FinishReason.ERROR, Optional.of(message(ex)));
                continue;
            }
            kvBytesReserved += head.projected;
            running.add(head);
            if (!head.started) {
                head.started = true;
                try {
                    head.listener.onStart(head.handle);
                } catch (RuntimeException ex) {
                    running.removeLast();
                    finish(head, FinishReason.ERROR, Optional.of("the listener failed: " + message(ex)));
                }
            }
        }
    }

    /** Drops {@code e}'s cache and puts it at the head of the queue, to be recomputed when admitted again. */
    private void preempt(Entry e) {
        kvBytesReserved -= e.projected;
        e.sequence.close();
        e.sequence = null;
        e.fed = 0;
        e.preempted++;
        preemptions++;
        synchronized (lock) {
            queue.addFirst(e);
        }
    }

    private long bytesInUse() {
        long sum = 0;
        for (int i = 0; i < running.size(); i++) sum += cacheBytes(running.get(i).sequence);
        return sum;
    }

    private static long cacheBytes(BatchedSequence s) {
        long sum = 0;
        List<KeyValueStore> cache = s.cache();
        for (int l = 0; l < cache.size(); l++) sum += cache.get(l).bytes();
        return sum;
    }

    private void finish(Entry e, FinishReason reason, Optional<String> error) {
        long bytes = 0;
        double bits = Double.NaN;
        if (e.sequence != null) {
            List<KvFootprint> layers = new ArrayList<>();
            for (KeyValueStore store : e.sequence.cache()) layers.add(store.footprint());
            KvFootprint all = KvFootprint.sum(layers);
            bytes = all.bytes();
            bits = all.bitsPerValue();
            kvBytesReserved -= e.projected;
            e.sequence.close();
            e.sequence = null;
        }
        List<Integer> tokens = new ArrayList<>(e.generatedCount);
        for (int i = 0; i < e.generatedCount; i++) tokens.add(e.generated[i]);
        try {
            e.listener.onFinish(e.handle, new GenerationResult(e.request.id(), reason, tokens, e.request.promptTokens(), bytes, bits,
                    e.preempted, error));
        } catch (RuntimeException ignored) {
            // The request has ended either way; a failing listener must not stop the others.
        }
    }

    private static String message(RuntimeException ex) {
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
