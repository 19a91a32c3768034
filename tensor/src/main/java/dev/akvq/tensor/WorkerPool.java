package dev.akvq.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of daemon threads that split a range of rows: {@link #forRange} cuts {@code [0, n)}
 * into at most {@link #threads()} contiguous chunks, runs one on the calling thread and the others
 * on the pool's threads, and returns when all are done.
 *
 * <p>Why not a ForkJoinPool: a decoder step issues a few hundred small row ranges per token, and
 * handing each one over costs less when the helpers spin for a few tens of microseconds before
 * parking. Chunks are contiguous and each row is computed by exactly one thread with the same
 * arithmetic whatever the chunking, so results are bit-identical for every thread count.
 *
 * <p>One {@code forRange} runs at a time per pool (callers from other threads queue); a body that
 * itself calls {@code forRange} on the same pool runs that inner range on its own thread. The
 * threads are daemons: an unclosed pool never keeps the JVM alive.
 */
public final class WorkerPool implements AutoCloseable {

    /** The work for rows {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Spins of a waiting thread before it parks: roughly 20-50 microseconds on current x86. */
    private static final int SPINS_BEFORE_PARK = 1 << 14;

    private final int threads;
    private final Helper[] helpers;
    private final ReentrantLock oneRangeAtATime = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile boolean closed;

    private WorkerPool(int threads) {
        this.threads = threads;
        this.helpers = new Helper[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
            helpers[i].start();
        }
    }

    /** A pool of {@code threads} threads in all, the caller included ({@code threads - 1} helpers). */
    public static WorkerPool create(int threads) {
        if (threads < 1 || threads > 4096) {
            throw new IllegalArgumentException("WorkerPool: threads must be in [1, 4096], got " + threads);
        }
        return new WorkerPool(threads);
    }

    /** The number of processors the JVM may use: the default for {@code --threads}. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Threads that work on a range, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into contiguous chunks, one per thread, and
     * returns when every chunk is done. An exception from any chunk is rethrown here after all
     * chunks have finished.
     */
    public void forRange(int n, RangeBody body) {
        if (n < 0) throw new IllegalArgumentException("WorkerPool.forRange: n must be >= 0, got " + n);
        if (closed) throw new IllegalStateException("WorkerPool.forRange: the pool is closed");
        if (n == 0) return;
        int parts = Math.min(threads, n);
        if (parts == 1 || Thread.currentThread() instanceof Helper || oneRangeAtATime.isHeldByCurrentThread()) {
            body.run(0, n);
            return;
        }
        oneRangeAtATime.lock();
        try {
            caller = Thread.currentThread();
            pending.set(parts - 1);
            for (int p = 1; p < parts; p++) {
                helpers[p - 1].give(body, chunkStart(n, parts, p), chunkStart(n, parts, p + 1));
            }
            Throwable mine = null;
            try {
                body.run(0, chunkStart(n, parts, 1));
            } catch (Throwable t) {
                mine = t;
            }
            awaitHelpers();
            Throwable failure = mine;
            for (int p = 1; p < parts; p++) {
                Throwable theirs = helpers[p - 1].takeFailure();
                if (failure == null) failure = theirs;
                else if (theirs != null) failure.addSuppressed(theirs);
            }
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            oneRangeAtATime.unlock();
        }
    }

    /** First row of chunk {@code p} of {@code parts} over {@code [0, n)}: sizes differ by at most one. */
    static int chunkStart(int n, int parts, int p) {
        return (int) ((long) n * p / parts);
    }

    private void awaitHelpers() {
        int spins = 0;
        while (pending.get() != 0) {
            if (spins < SPINS_BEFORE_PARK) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    /** Stops the helper threads; later calls to {@link #forRange} fail. */
    @Override
    public void close() {
        closed = true;
        for (Helper h : helpers) LockSupport.unpark(h);
    }

    private final class Helper extends Thread {
        private volatile RangeBody body;
        private int start;
        private int end;
        private Throwable failure;

        Helper(int index) {
            super("akvq-worker-" + index);
            setDaemon(true);
        }

        void give(RangeBody work, int from, int to) {
            start = from;
            end = to;
            body = work; // volatile write publishes start and end
            LockSupport.unpark(this);
        }

        Throwable takeFailure() {
            Throwable t = failure;
            failure = null;
            return t;
        }

        @Override
        public void run() {
            int spins = 0;
            while (!closed) {
                RangeBody work = body;
                if (work == null) {
                    if (spins < SPINS_BEFORE_PARK) {
                        spins++;
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                    continue;
                }
                try {
                    work.run(start, end);
                } catch (Throwable t) {
                    failure = t;
                }
                body = null;
                spins = 0;
                // The decrement is a volatile write: the caller that sees zero also sees our rows.
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }
}
