package dev.akvq.quant.kv;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;

/**
 * The off-heap memory of one store's rows, given back as soon as the store no longer needs it:
 * rows a store has outgrown are freed when it has copied them ({@link #freeOutgrown}), a store that
 * is done frees everything ({@link #free}), and an unreachable store's last rows are freed by a
 * cleaner.
 *
 * <p>Why not {@code Arena.ofAuto()}: an automatic arena's memory goes back only when a GC finds
 * the segment unreachable. Decode makes almost no garbage, so GCs are rare, and a prompt's outgrown
 * copies (and the F32 copy a quantizing store keeps of the prompt for each layer) stayed resident:
 * issue 13 measured the native "Other" memory of a 1099-token fp16 run at 50 MB for 17 MB of cache.
 */
final class StoreMemory {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The arenas, in an object the cleaner can close without holding the store. */
    private static final class Arenas implements Runnable {
        private Arena current, outgrown;

        synchronized Arena fresh() {
            if (outgrown != null) throw new IllegalStateException("StoreMemory: the outgrown rows were not freed");
            outgrown = current;
            current = Arena.ofShared();
            return current;
        }

        synchronized void freeOutgrown() {
            if (outgrown != null) outgrown.close();
            outgrown = null;
        }

        @Override
        public synchronized void run() {
            freeOutgrown();
            if (current != null) current.close();
            current = null;
        }
    }

    private final Arenas arenas = new Arenas();

    /** @param owner the store; once it is unreachable, its last rows are freed */
    StoreMemory(Object owner) {
        CLEANER.register(owner, arenas);
    }

    /**
     * A new arena for the store's next rows (zeroed when allocated, as every arena's); the rows of
     * the previous one stay readable until {@link #freeOutgrown}.
     */
    Arena fresh() {
        return arenas.fresh();
    }

    /** Frees the rows allocated before the last {@link #fresh} (once they are copied). */
    void freeOutgrown() {
        arenas.freeOutgrown();
    }

    /** Frees every row; reading one afterwards throws {@link IllegalStateException}. */
    void free() {
        arenas.run();
    }
}
