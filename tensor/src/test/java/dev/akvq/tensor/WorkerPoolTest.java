package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyIndexRunsExactlyOnceInContiguousChunks() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = WorkerPool.create(threads)) {
                for (int n = 0; n <= 37; n++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    int[] chunks = {0};
                    pool.forRange(n, (start, end) -> {
                        assertTrue(start < end, "empty chunk");
                        synchronized (chunks) {
                            chunks[0]++;
                        }
                        for (int i = start; i < end; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + " with " + threads + " threads");
                    assertEquals(Math.min(n, threads), chunks[0], "one chunk per thread");
                }
            }
        }
    }

    @Test
    void helpersRunChunksOnOtherThreads() throws InterruptedException {
        try (WorkerPool pool = WorkerPool.create(2)) {
            Thread[] seen = new Thread[2];
            CountDownLatch bothRunning = new CountDownLatch(2);
            // Each chunk waits for the other: only two threads at once can finish this range in time.
            pool.forRange(2, (start, end) -> {
                seen[start] = Thread.currentThread();
                bothRunning.countDown();
                try {
                    assertTrue(bothRunning.await(10, TimeUnit.SECONDS), "the two chunks did not run at the same time");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(seen[0] != seen[1], "both chunks ran on one thread");
            Thread helper = seen[0] == Thread.currentThread() ? seen[1] : seen[0];
            assertTrue(seen[0] == Thread.currentThread() || seen[1] == Thread.currentThread(), "the caller runs a chunk");
            assertTrue(helper.isDaemon(), "a daemon helper runs the other");
        }
    }

    @Test
    void chunksSplitEvenlyAndRunOnce() {
        try (WorkerPool pool = WorkerPool.create(3)) {
            for (int n = 0; n <= 41; n++) {
                for (int chunks = 1; chunks <= 12; chunks++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    AtomicIntegerArray startsSeen = new AtomicIntegerArray(n + 1);
                    pool.forChunks(n, chunks, (start, end) -> {
                        startsSeen.incrementAndGet(start);
                        for (int i = start; i < end; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + " in " + chunks + " chunks");
                    int parts = Math.min(chunks, n), starts = 0;
                    for (int i = 0; i < n; i++) starts += startsSeen.get(i);
                    assertEquals(parts, starts, n + " in " + chunks + " chunks");
                    for (int p = 0; p < parts; p++) assertEquals(1, startsSeen.get(WorkerPool.chunkStart(n, parts, p)));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> pool.forChunks(4, 0, (s, e) -> {}));
        }
    }

    @Test
    void rangesOfDifferentChunkCountsInQuickSuccessionRunEachIndexOnce() {
        // A helper that reads an exhausted range's claims and then the next range's (larger) chunk
        // count must not claim a chunk past the end: that once lost a decrement and hung a caller.
        try (WorkerPool pool = WorkerPool.create(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(16);
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                for (int r = 0; r < 50_000; r++) {
                    pool.forChunks(16, r % 2 == 0 ? 2 : 16, (start, end) -> {
                        for (int i = start; i < end; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < 16; i++) {
                        assertEquals(1, hits.getAndSet(i, 0), "index " + i + " of range " + r);
                    }
                }
            });
        }
    }

    @Test
    void theCallerTakesChunksALateHelperHasNotClaimed() {
        try (WorkerPool pool = WorkerPool.create(2)) {
            Thread caller = Thread.currentThread();
            AtomicInteger byCaller = new AtomicInteger();
            CountDownLatch callerDidTheRest = new CountDownLatch(1);
            AtomicIntegerArray hits = new AtomicIntegerArray(8);
            // A helper stalls in its first chunk until the caller has run seven: with a fixed share
            // each (four chunks a thread) the caller would stop at four and the range would hang.
            pool.forChunks(8, 8, (start, end) -> {
                hits.incrementAndGet(start);
                if (Thread.currentThread() == caller) {
                    if (byCaller.incrementAndGet() == 7) callerDidTheRest.countDown();
                    return;
                }
                try {
                    assertTrue(callerDidTheRest.await(10, TimeUnit.SECONDS), "the caller left unclaimed chunks to a stalled helper");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 8; i++) assertEquals(1, hits.get(i));
            assertTrue(byCaller.get() >= 7, "the caller ran " + byCaller.get() + " of 8 chunks");
        }
    }

    @Test
    void failuresReachTheCallerAfterAllChunksFinish() {
        try (WorkerPool pool = WorkerPool.create(3)) {
            AtomicIntegerArray done = new AtomicIntegerArray(3);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forRange(3, (start, end) -> {
                done.set(start, 1);
                if (start == 2) throw new IllegalStateException("chunk 2 failed");
            }));
            assertEquals("chunk 2 failed", e.getMessage());
            assertEquals(1, done.get(0));
            assertEquals(1, done.get(1));
            // The pool stays usable.
            AtomicIntegerArray again = new AtomicIntegerArray(3);
            pool.forRange(3, (start, end) -> again.set(start, 1));
            assertEquals(1, again.get(2));
        }
    }

    @Test
    void nestedRangesRunOnTheirOwnThread() {
        try (WorkerPool pool = WorkerPool.create(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(20);
            pool.forRange(2, (start, end) -> pool.forRange(10, (s, e) -> {
                for (int i = s; i < e; i++) hits.incrementAndGet(start * 10 + i);
            }));
            for (int i = 0; i < 20; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void validatesArguments() {
        assertThrows(IllegalArgumentException.class, () -> WorkerPool.create(0));
        try (WorkerPool pool = WorkerPool.create(1)) {
            assertThrows(IllegalArgumentException.class, () -> pool.forRange(-1, (s, e) -> {}));
        }
        WorkerPool closed = WorkerPool.create(2);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.forRange(1, (s, e) -> {}));
        assertTrue(WorkerPool.defaultThreads() >= 1);
    }
}
