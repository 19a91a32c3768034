package dev.akvq.tensor;

import java.util.Arrays;

/**
 * Float arrays a kernel reuses on each thread instead of allocating them per call (so a decode step
 * allocates none, and a long prompt's temporaries are not promoted into the old generation):
 * {@code slots} arrays per thread, each grown to the largest size asked for and kept as long as the
 * thread lives. A thread runs one job at a time, and each owner uses a slot for one purpose, so no
 * two users share an array at once.
 */
public final class ThreadScratch {
    private final ThreadLocal<float[][]> arrays;

    public ThreadScratch(int slots) {
        arrays = ThreadLocal.withInitial(() -> {
            float[][] a = new float[slots][];
            Arrays.fill(a, new float[0]);
            return a;
        });
    }

    /** Slot {@code slot}, at least {@code floats} long, holding whatever its last use left. */
    public float[] get(int slot, int floats) {
        float[][] holder = arrays.get();
        if (holder[slot].length < floats) holder[slot] = new float[floats];
        return holder[slot];
    }

    /** Slot {@code slot} with its first {@code floats} values zero, as a fresh array would have them. */
    public float[] zeroed(int slot, int floats) {
        float[] a = get(slot, floats);
        Arrays.fill(a, 0, floats, 0f);
        return a;
    }
}
