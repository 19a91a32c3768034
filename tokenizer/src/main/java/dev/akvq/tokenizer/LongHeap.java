package dev.akvq.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs (PriorityQueue without boxing), for the BPE merge queue. */
final class LongHeap {
    private long[] heap = new long[16];
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    void add(long v) {
        if (size == heap.length) heap = Arrays.copyOf(heap, 2 * size);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
    }

    long poll() {
        long top = heap[0], last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top;
    }
}
