package dev.akvq.bench;

/** The row split {@code WorkerPool.forRange} uses, for benchmarks that split bytes the same way. */
final class WorkerPoolChunks {
    private WorkerPoolChunks() {}

    static long start(int n, int parts, int p) {
        return (long) n * p / parts;
    }
}
