package dev.akvq.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of daemon threads that split a range of rows: {@link #forRange} cuts {@code [0, n)}
 * into at most {@link #threads()} contiguous chunks ({@link #forChunks}: into as many as asked),
 * which the calling thread and the pool's threads claim one at a time until none is left, and
 * returns when all are done.
 *
 * <p>Why not a ForkJoinPool: a decoder step issues a few hundred small row ranges per token, and
 * handing each one over costs less when the helpers spin for a few tens of microseconds before
 * parking. Why claimed rather than assigned chunks: with a fixed share per thread, a helper that
 * starts late (parked, or descheduled on a busy machine) leaves the caller waiting for its whole
 * share; claiming, the caller goes on to the chunks nobody has taken and waits at most for chunks
 * already running (JFR, 2-thread decode at load average 10: a quarter of the CPU samples were
 * threads waiting on each other with fixed shares).
 * Chunks are contiguous and each row is computed by exactly one thread with the same arithmetic
 * whatever the chunking, so results are bit-identical for every thread count.
 *
 * <p>One range runs at a time per pool (callers from other threads queue); a body that itself
 * calls {@code forRange} on the same pool runs that inner range on its own thread. The threads
 * are daemons: an unclosed pool never keeps the JVM alive.
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
    /** Chunks of one range at most: the count and the next chunk share {@link #claims} with the range number. */
    static final int MAX_CHUNKS = (1 << 20) - 1;
    private static final long CHUNK_BITS = 20, RANGE_SHIFT = 2 * CHUNK_BITS, CHUNK_MASK = (1L << CHUNK_BITS) - 1;

    // The range in progress. Its body and size are plain fields written before `claims`, a volatile
    // write, publishes them: claims = range number (24 bits) | chunk count (20) | next unclaimed
    // chunk (20). A chunk is claimed by a compare-and-set of the whole word while next < count, both
    // read from that word: a thread that read an older range's word can claim nothing (its CAS
    // fails), and a claim that succeeds proves the range still running, so body and size are its own.
    // (With the count in a field of its own, a helper could read an exhausted range's word and the
    // next range's larger count, and claim a chunk past the end: a lost decrement, a hung caller.)
    private RangeBody body;
    private int size;
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final Object failureLock = new Object();
    private Throwable failure;
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
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous
     * chunks and returns when every chunk is done; a body that allocates scratch per call does
     * so at most once a thread. An exception from any chunk is rethrown here after all chunks
     * have finished.
     */
    public void forRange(int n, RangeBody body) {
        forChunks(n, threads, body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into {@code min(chunks, n)} (at most {@link #MAX_CHUNKS}) contiguous chunks of
     * sizes differing by at most one, claimed by whichever thread is free, and returns when every
     * chunk is done. More chunks than threads keep every thread busy to the end when threads start
     * late or run at different speeds (decode's matrix-vector products). With one thread, or
     * nested in a range of this pool, the body runs once over {@code [0, n)}.
     */
    public void forChunks(int n, int chunks, RangeBody body) {
        if (n < 0) throw new IllegalArgumentException("WorkerPool.forRange: n must be >= 0, got " + n);
        if (chunks < 1) throw new IllegalArgumentException("WorkerPool.forChunks: chunks must be >= 1, got " + chunks);
        if (closed) throw new IllegalStateException("WorkerPool.forRange: the pool is closed");
        if (n == 0) return;
        int count = Math.min(Math.min(chunks, n), MAX_CHUNKS);
        if (count == 1 || threads == 1 || Thread.currentThread() instanceof Helper || oneRangeAtATime.isHeldByCurrentThread()) {
            body.run(0, n);
            return;
        }
        oneRangeAtATime.lock();
        try {
            this.body = body;
            this.size = n;
            caller = Thread.currentThread();
            unfinished.set(count);
            long range = ((claims.get() >>> RANGE_SHIFT) + 1) & 0xFF_FFFFL;
            claims.set(range << RANGE_SHIFT | (long) count << CHUNK_BITS);
            for (int h = 0; h < Math.min(helpers.length, count - 1); h++) LockSupport.unpark(helpers[h]);
            work(range);
            awaitUnfinished();
            this.body = null;
            Throwable thrown;
            synchronized (failureLock) {
                thrown = failure;
                failure = null;
            }
            if (thrown instanceof RuntimeException e) throw e;
            if (thrown instanceof Error e) throw e;
            if (thrown != null) throw new IllegalStateException(thrown);
        } finally {
            oneRangeAtATime.unlock();
        }
    }

    /** First row of chunk {@code p} of {@code parts} over {@code [0, n)}: sizes differ by at most one. */
    static int chunkStart(int n, int parts, int p) {
        return (int) ((long) n * p / parts);
    }

    /** Claims and runs chunks of range {@code range} until none is left unclaimed (or the range is over). */
    private void work(long range) {
        while (true) {
            long c = claims.get();
            int chunk = (int) (c & CHUNK_MASK), count = (int) (c >>> CHUNK_BITS & CHUNK_MASK);
            if (c >>> RANGE_SHIFT != range || chunk >= count) return;
            if (!claims.compareAndSet(c, c + 1)) continue;
            // The claim succeeded with chunk < count, so the range is still running and body and size are its own.
            try {
                body.run(chunkStart(size, count, chunk), chunkStart(size, count, chunk + 1));
            } catch (Throwable t) {
                synchronized (failureLock) {
                    if (failure == null) failure = t;
                    else failure.addSuppressed(t);
                }
            }
            // The decrement is a volatile write: the caller that sees zero also sees our rows.
            if (unfinished.decrementAndGet() == 0 && Thread.currentThread() != caller) LockSupport.unpark(caller);
        }
    }

    /** The caller's wait for chunks that helpers are still running. */
    private void awaitUnfinished() {
        int spins = 0;
        while (unfinished.get() != 0) {
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
        Helper(int index) {
            super("akvq-worker-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            int spins = 0;
            long seen = 0;     // ranges are numbered from 1
            while (!closed) {
                long range = claims.get() >>> RANGE_SHIFT;
                if (range != seen) {
                    seen = range;
                    work(range);
                    spins = 0;
                } else if (spins < SPINS_BEFORE_PARK) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }
    }
}
