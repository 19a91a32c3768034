package dev.akvq.template;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * What {@code dict.items()}, {@code .keys()} and {@code .values()} return: iterable, sized and
 * searchable like the list of its items, but printed as {@code dict_items([...])} and, as in
 * Python, neither indexable nor sliceable (a subscript gives undefined) nor JSON.
 */
final class DictView extends AbstractList<Object> implements RandomAccess {
    final String kind;
    private final List<Object> items;

    DictView(String kind, List<Object> items) {
        this.kind = kind;
        this.items = items;
    }

    @Override
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }
}
