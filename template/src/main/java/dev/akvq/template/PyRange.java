package dev.akvq.template;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * Python's range as {@code range()} returns it: a lazy sequence that prints as
 * {@code range(0, 4)}, slices to another range, and equals only a range with the same items.
 */
final class PyRange extends AbstractList<Object> implements RandomAccess {
    final long start, stop, step;
    private final int size;

    PyRange(long start, long stop, long step) {
        this.start = start;
        this.stop = stop;
        this.step = step;
        long n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (n > Globals.MAX_RANGE) throw TemplateRuntimeError.of("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + Globals.MAX_RANGE + ").");
        this.size = (int) n;
    }

    @Override
    public Object get(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return start + index * step;
    }

    @Override
    public int size() {
        return size;
    }

    /** {@code range[i:j:k]}, as CPython computes it from the normalized slice indices. */
    PyRange slice(long lo, long hi, long k) {
        return new PyRange(start + lo * step, start + hi * step, step * k);
    }

    String repr() {
        return "range(" + start + ", " + stop + (step == 1 ? "" : ", " + step) + ")";
    }
}
