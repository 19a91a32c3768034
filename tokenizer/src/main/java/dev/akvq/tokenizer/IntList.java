package dev.akvq.tokenizer;

import java.util.Arrays;

/** A growable list of ints, so that encoding does not box every id. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, 2 * size);
        values[size++] = v;
    }

    void addAll(int[] vs) {
        if (size + vs.length > values.length) values = Arrays.copyOf(values, Math.max(2 * values.length, size + vs.length));
        System.arraycopy(vs, 0, values, size, vs.length);
        size += vs.length;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
