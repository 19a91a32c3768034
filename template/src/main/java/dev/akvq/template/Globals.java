package dev.akvq.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jinja2's default globals (jinja2/defaults.py): {@code range} (with the sandbox's limit of
 * 100,000 items), {@code dict}, {@code namespace}, {@code cycler}, {@code joiner}.
 * {@code lipsum} is left out: it is random text.
 */
final class Globals {
    static final int MAX_RANGE = 100_000;

    private Globals() {}

    static Map<String, Object> builtins() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("range", (TemplateFunction) Globals::range);
        g.put("dict", (TemplateFunction) (args, kw) -> {
            if (!args.isEmpty()) throw TemplateRuntimeError.of("dict() takes keyword arguments only here");
            return new LinkedHashMap<Object, Object>(kw);
        });
        g.put("namespace", (TemplateFunction) Globals::namespace);
        g.put("cycler", (TemplateFunction) (args, kw) -> new Cycler(List.copyOf(args)));
        g.put("joiner", (TemplateFunction) (args, kw) -> {
            String sep = new CallArgs("joiner", args, kw).string(0, "sep", ", ");
            boolean[] used = {false};
            return (TemplateFunction) (a, k) -> {
                if (!used[0]) {
                    used[0] = true;
                    return "";
                }
                return sep;
            };
        });
        return g;
    }

    private static Object range(List<Object> args, Map<String, Object> kw) {
        if (args.isEmpty() || args.size() > 3) throw TemplateRuntimeError.of("range expected 1 to 3 arguments, got " + args.size());
        for (Object a : args) {
            if (a instanceof Undefined u) throw u.error();
            if (!Py.isInteger(a)) throw TemplateRuntimeError.of("'" + Py.typeName(a) + "' object cannot be interpreted as an integer");
        }
        long start = args.size() == 1 ? 0 : Py.asLong(args.get(0));
        long stop = Py.asLong(args.get(args.size() == 1 ? 0 : 1));
        long step = args.size() == 3 ? Py.asLong(args.get(2)) : 1;
        if (step == 0) throw TemplateRuntimeError.of("range() arg 3 must not be zero");
        return new PyRange(start, stop, step);
    }

    /** {@code namespace()}, {@code namespace(a=1)}, {@code namespace({'a': 1}, b=2)}. */
    private static Object namespace(List<Object> args, Map<String, Object> kw) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map<?, ?> m)) throw TemplateRuntimeError.of("namespace() takes mappings or keyword arguments");
            for (Map.Entry<?, ?> e : m.entrySet()) ns.attributes.put(Py.str(e.getKey()), e.getValue());
        }
        ns.attributes.putAll(kw);
        return ns;
    }

    /** Jinja2's cycler: next(), current, reset(). */
    private static final class Cycler implements HasAttributes {
        private final List<Object> items;
        private int position;

        Cycler(List<Object> items) {
            if (items.isEmpty()) throw TemplateRuntimeError.of("at least one item has to be provided");
            this.items = items;
        }

        @Override
        public Object attribute(String name) {
            return switch (name) {
                case "current" -> items.get(position);
                case "next" -> (TemplateFunction) (a, k) -> {
                    Object v = items.get(position);
                    position = (position + 1) % items.size();
                    return v;
                };
                case "reset" -> (TemplateFunction) (a, k) -> {
                    position = 0;
                    return null;
                };
                default -> Access.MISSING;
            };
        }
    }
}
