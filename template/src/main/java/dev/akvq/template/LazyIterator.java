package dev.akvq.template;

import java.util.List;
import java.util.function.Supplier;

/**
 * What Jinja2's lazy filters return (select, reject, selectattr, rejectattr, map, batch, slice,
 * unique, items; reverse of a list): a Python generator or iterator. It is always true (even
 * when empty), has no length, cannot be indexed, is consumed by iterating it, and fails only
 * when its items are first needed. Templates almost always finish such a chain with
 * {@code |list}; the ones that test it with {@code if} get Python's answer here too.
 */
final class LazyIterator {
    final String name;
    private Supplier<List<Object>> producer;
    private List<Object> items;
    private int next;

    LazyIterator(String name, Supplier<List<Object>> producer) {
        this.name = name;
        this.producer = producer;
    }

    private List<Object> items() {
        if (items == null) {
            items = producer.get();
            producer = null;
        }
        return items;
    }

    /** The items not yet consumed; afterwards the iterator is exhausted, as in Python. */
    List<Object> drain() {
        List<Object> all = items();
        List<Object> rest = all.subList(Math.min(next, all.size()), all.size());
        next = all.size();
        return rest;
    }

    /** next(iterator), or MISSING when exhausted. */
    Object take() {
        List<Object> all = items();
        return next < all.size() ? all.get(next++) : Access.MISSING;
    }
}
