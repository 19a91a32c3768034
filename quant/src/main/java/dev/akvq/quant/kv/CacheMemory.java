package dev.akvq.quant.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * The off-heap bytes of one KV store, freed when the store is closed ({@link KeyValueStore#close},
 * called when a sequence ends) or, for a store dropped without closing, when the GC finds its
 * owner unreachable.
 *
 * <p>Why not {@code Arena.ofAuto()}: an automatic arena's memory goes back only when the GC
 * collects it, and the GC runs on heap pressure, which off-heap rows do not create. An
 * {@code akvq eval} over 200 prompts and 14 modes kept every finished sequence's cache and
 * reached 11 GB resident (NMT: 411 MB of "Other" after 16 prompts, growing with each); a server
 * would grow the same way with every request. A shared arena (read by the worker threads) closed
 * here returns the bytes at once.
 */
final class CacheMemory implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Arena arena;
    private final Cleaner.Cleanable cleanable;

    /** Memory for {@code owner}; if {@code owner} becomes unreachable unclosed, the cleaner frees it. */
    CacheMemory(Object owner) {
        Arena shared = Arena.ofShared();
        this.arena = shared;
        // The action captures the arena only, never the owner, or the owner would stay reachable.
        this.cleanable = CLEANER.register(owner, shared::close);
    }

    /** {@code bytes} zeroed bytes, 64-byte aligned (a cache line, and the widest vector). */
    MemorySegment allocate(long bytes) {
        return arena.allocate(bytes, 64);
    }

    /** Frees every segment allocated here; later reads of them throw. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
