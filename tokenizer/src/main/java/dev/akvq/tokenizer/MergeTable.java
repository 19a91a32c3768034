package dev.akvq.tokenizer;

/**
 * The BPE merges as an open-addressing hash table from a pair of token ids to the merge's rank
 * and merged id, without boxing: a lookup runs for every adjacent pair of every word encoded.
 */
final class MergeTable {
    private static final long EMPTY = -1L; // no pair of two ids >= 0 packs to -1
    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1; // load factor <= 1/2
        keys = new long[capacity];
        values = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads the packed ids
        return (int) (h ^ (h >>> 29));
    }

    /** Keeps the first merge given for a pair (tokenizers keeps the lowest rank, which comes first). */
    void putIfAbsent(int left, int right, int rank, int mergedId) {
        long key = pair(left, right);
        for (int i = slot(key) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == key) return;
            if (keys[i] == EMPTY) {
                if (size + 1 > keys.length / 2) throw new IllegalStateException("merge table full: sized for fewer merges");
                keys[i] = key;
                values[i] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
                size++;
                return;
            }
        }
    }

    /** rank << 32 | merged id of the merge of (left, right), or -1 when there is none. */
    long get(int left, int right) {
        long key = pair(left, right);
        for (int i = slot(key) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == key) return values[i];
            if (keys[i] == EMPTY) return -1;
        }
    }
}
