package dev.akvq.quant.kv;

import java.util.Arrays;

/**
 * Float arrays a store's attention reuses on each thread, so a decode step allocates none: {@code slots}
 * arrays per thread, each grown to the largest size asked for. Attention runs one job at a time per
 * thread, and a job uses each slot for one purpose, so no two users share an array at once.
 */
final class ThreadScratch {
    private final ThreadLocal<float[][]> arrays;

    ThreadScratch(int slots) {
        arrays = ThreadLocal.withInitial(() -> {
            float[][] a = new float[slots][];
            Arrays.fill(a, new float[0]);
            return a;
        });
    }

    /** Slot {@code slot}, at least {@code floats} long, holding whatever its last use left. */
    float[] get(int slot, int floats) {
        float[][] holder = arrays.get();
        if (holder[slot].length < floats) holder[slot] = new float[floats];
        return holder[slot];
    }

    /** Slot {@code slot} with its first {@code floats} values zero, as a fresh array would have them. */
    float[] zeroed(int slot, int floats) {
        float[] a = get(slot, floats);
        Arrays.fill(a, 0, floats, 0f);
        return a;
    }
}
