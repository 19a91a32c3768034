package dev.akvq.template;

import java.util.List;

/**
 * Jinja2's {@code loop} variable: index, index0, revindex, revindex0, first, last, length,
 * depth, depth0, previtem, nextitem, cycle(...), changed(...), and for a recursive loop
 * {@code loop(children)}. {@code length} counts the items left after a loop's {@code if} filter.
 */
final class LoopContext implements HasAttributes, TemplateFunction {
    final List<Object> items;
    final int depth0;
    int index0;
    private final TemplateFunction recurse;
    private Object lastChanged = Access.MISSING;

    LoopContext(List<Object> items, int depth0, TemplateFunction recurse) {
        this.items = items;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    int length() {
        return items.size();
    }

    @Override
    public Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Undefined("there is no next item");
            case "cycle" -> (TemplateFunction) (args, kw) -> {
                if (args.isEmpty()) throw TemplateRuntimeError.of("no items for cycling given");
                return args.get(index0 % args.size());
            };
            case "changed" -> (TemplateFunction) (args, kw) -> {
                Object value = new Tuple(args.toArray());
                if (lastChanged != Access.MISSING && Py.eq(lastChanged, value)) return false;
                lastChanged = value;
                return true;
            };
            default -> Access.MISSING;
        };
    }

    @Override
    public Object call(List<Object> args, java.util.Map<String, Object> kwargs) {
        if (recurse == null) throw TemplateRuntimeError.of("the loop must have the 'recursive' marker to be called recursively");
        return recurse.call(args, kwargs);
    }
}
