package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void helpersRunChunksOnOtherThreads() {
        try (WorkerPool pool = WorkerPool.create(2)) {
            Thread[] seen = new Thread[2];
            pool.forRange(2, (start, end) -> seen[start] = Thread.currentThread());
            assertSame(Thread.currentThread(), seen[0], "the caller takes the first chunk");
            assertTrue(seen[1] != null && seen[1] != seen[0] && seen[1].isDaemon(), "a daemon helper takes the second");
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
