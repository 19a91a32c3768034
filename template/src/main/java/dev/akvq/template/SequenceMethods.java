package dev.akvq.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The safe methods of Python's list, tuple and dict a template may call (the mutating ones are unsafe, see {@link Access}). */
final class SequenceMethods {
    private SequenceMethods() {}

    static TemplateFunction bind(List<?> list, String name) {
        return switch (name) {
            case "count" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                Object x = a.get(0, "value", CallArgs.REQUIRED);
                long n = 0;
                for (Object o : list) if (Py.eq(o, x)) n++;
                return n;
            };
            case "index" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                Object x = a.get(0, "value", CallArgs.REQUIRED);
                for (int i = 0; i < list.size(); i++) if (Py.eq(list.get(i), x)) return (long) i;
                throw TemplateRuntimeError.of(Py.repr(x) + " is not in list");
            };
            case "copy" -> list instanceof Tuple ? null : (args, kw) -> new ArrayList<>(list);
            default -> null;
        };
    }

    static TemplateFunction bind(Map<?, ?> map, String name) {
        return switch (name) {
            case "get" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                Object v = Access.findKey(map, a.get(0, "key", CallArgs.REQUIRED));
                return v != Access.MISSING ? v : a.get(1, "default", null);
            };
            case "items" -> (args, kw) -> {
                List<Object> out = new ArrayList<>(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) out.add(new Tuple(e.getKey(), e.getValue()));
                return new DictView("dict_items", out);
            };
            case "keys" -> (args, kw) -> new DictView("dict_keys", new ArrayList<Object>(map.keySet()));
            case "values" -> (args, kw) -> new DictView("dict_values", new ArrayList<Object>(map.values()));
            case "copy" -> (args, kw) -> new LinkedHashMap<Object, Object>(map);
            default -> null;
        };
    }
}
