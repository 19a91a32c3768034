package dev.akvq.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja2's builtin filters (jinja2/filters.py, 3.1.2) over plain values, plus transformers'
 * {@code tojson} in place of Jinja2's. Strings coming from an undefined value are empty, as
 * Jinja2's soft_str makes them. {@code random}, {@code urlize} and {@code wordwrap} exist (so a
 * template naming them parses, as in Jinja2) but fail when reached: a chat template has no use
 * for randomness, links or re-wrapping, and the README says so.
 */
final class Filters {
    private Filters() {}

    private static final Set<String> NAMES = Set.of("abs", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby",
            "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "pprint", "random",
            "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort",
            "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize",
            "wordcount", "wordwrap", "xmlattr");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static Object apply(String name, Object value, CallArgs a, Renderer r) {
        return switch (name) {
            case "abs" -> {
                if (value instanceof Double d) yield Math.abs(d);
                if (Py.isInteger(value)) yield Math.abs(Py.asLong(value));
                if (value instanceof Undefined u) throw u.error();
                throw TemplateRuntimeError.of("bad operand type for abs(): '" + Py.typeName(value) + "'");
            }
            case "batch" -> new LazyIterator("do_batch", () -> batch(value, a.integer(0, "linecount", 0), a.get(1, "fill_with", null), r));
            case "capitalize" -> StringMethods.capitalize(Py.str(value));
            case "center" -> StringMethods.pad(Py.str(value), a.integer(0, "width", 80), " ", "center");
            case "count", "length" -> (long) length(value);
            case "d", "default" -> {
                Object fallback = a.get(0, "default_value", "");
                boolean bool = a.bool(1, "boolean", false);
                yield value instanceof Undefined || (bool && !Py.truthy(value)) ? fallback : value;
            }
            case "dictsort" -> dictsort(value, a);
            case "e", "escape", "forceescape" -> escape(Py.str(value));
            case "filesizeformat" -> fileSize(value, a.bool(0, "binary", false));
            case "first" -> {
                if (value instanceof LazyIterator g) {
                    Object first = g.take();
                    yield first == Access.MISSING ? new Undefined("No first item, sequence was empty.") : first;
                }
                List<Object> items = Operators.iterate(value);
                yield items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.getFirst();
            }
            case "last" -> {
                if (value instanceof LazyIterator) throw TemplateRuntimeError.of("'" + Py.typeName(value) + "' object is not reversible");
                List<Object> items = Operators.iterate(value);
                yield items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.getLast();
            }
            case "float" -> {
                if (value instanceof Undefined u) throw u.error();
                yield toFloat(value, a.get(0, "default", 0.0));
            }
            case "int" -> {
                if (value instanceof Undefined u) throw u.error();
                yield toInt(value, a.get(0, "default", 0L), a.integer(1, "base", 10));
            }
            case "format" -> {
                if (!a.positional().isEmpty() && !a.keywords().isEmpty())
                    throw TemplateRuntimeError.of("can't handle positional and keyword arguments at the same time");
                Object args = a.keywords().isEmpty() ? Tuple.of(a.positional()) : new LinkedHashMap<Object, Object>(a.keywords());
                yield r.limits.checkString(PrintfFormat.format(Py.str(value), args));
            }
            case "groupby" -> groupby(value, a);
            case "indent" -> indent(requireString(value, name), a.get(0, "width", 4L), a.bool(1, "first", false), a.bool(2, "blank", false));
            case "items" -> {
                if (value instanceof Undefined) yield new LazyIterator("do_items", List::of);
                if (!(value instanceof Map<?, ?> m)) throw TemplateRuntimeError.of("Can only get item pairs from a mapping.");
                yield new LazyIterator("do_items", () -> new ArrayList<>((List<?>) SequenceMethods.bind(m, "items").call(List.of(), Map.of())));
            }
            case "join" -> join(value, a, r);
            case "list" -> new ArrayList<>(Operators.iterate(value));
            case "lower" -> Py.str(value).toLowerCase(Locale.ROOT);
            case "upper" -> Py.str(value).toUpperCase(Locale.ROOT);
            case "map" -> new LazyIterator("sync_do_map", () -> map(value, a, r));
            case "max", "min" -> minMax(value, a, name.equals("max"));
            case "pprint" -> Py.repr(value);
            case "reject", "select" -> new LazyIterator("select_or_reject", () -> select(value, a, r, name.equals("select"), false));
            case "rejectattr", "selectattr" -> new LazyIterator("select_or_reject", () -> select(value, a, r, name.equals("selectattr"), true));
            case "replace" -> {
                Object count = a.get(2, "count", null);
                String s = StringMethods.replace(Py.str(value), Py.str(a.get(0, "old", CallArgs.REQUIRED)), Py.str(a.get(1, "new", CallArgs.REQUIRED)),
                        count == null ? -1 : Py.asLong(count));
                yield r.limits.checkString(s);
            }
            case "reverse" -> {
                if (value instanceof String s) yield (String) Operators.slice(s, null, null, -1L);
                List<Object> items = new ArrayList<>(Operators.iterate(value));
                java.util.Collections.reverse(items);
                // reversed() of a list is an iterator; of anything else Jinja2 builds a list
                yield value instanceof List<?> && !(value instanceof DictView) ? new LazyIterator("list_reverseiterator", () -> items) : items;
            }
            case "round" -> round(value, a.integer(0, "precision", 0), a.string(1, "method", "common"));
            case "safe", "string" -> value instanceof String ? value : Py.str(value);
            case "slice" -> new LazyIterator("sync_do_slice", () -> slice(value, a.integer(0, "slices", 0), a.get(1, "fill_with", null)));
            case "sort" -> sort(value, a);
            case "striptags" -> stripTags(Py.str(value));
            case "sum" -> sum(value, a);
            case "title" -> title(Py.str(value));
            case "tojson" -> JsonDump.dumps(value, a);
            case "trim" -> Py.strip(Py.str(value), a.optionalString(0, "chars"), true, true);
            case "truncate" -> value instanceof Undefined ? value : truncate(requireString(value, name), a);
            case "unique" -> new LazyIterator("sync_do_unique", () -> unique(value, a));
            case "urlencode" -> urlencode(value);
            case "wordcount" -> {
                Matcher m = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS).matcher(Py.str(value));
                long n = 0;
                while (m.find()) n++;
                yield n;
            }
            case "xmlattr" -> xmlattr(value, a.bool(0, "autospace", true));
            default -> throw TemplateRuntimeError.of("the filter '" + name + "' is not supported by this engine (see README, Chat templates)");
        };
    }

    /** Filters that Jinja2 applies to a str without converting (truncate, indent) fail on anything else. */
    private static String requireString(Object value, String filter) {
        if (value instanceof String s) return s;
        if (value instanceof Undefined u) throw u.error();
        throw TemplateRuntimeError.of(filter + ": expected a string, found " + Py.typeName(value));
    }

    static int length(Object value) {
        return switch (value) {
            case null -> throw TemplateRuntimeError.of("object of type 'NoneType' has no len()");
            case String s -> Py.length(s);
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            case LoopContext l -> l.length();
            default -> throw TemplateRuntimeError.of("object of type '" + Py.typeName(value) + "' has no len()");
        };
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Jinja2's make_attrgetter: "a.b.0" walks keys/attributes, digits as indexes. */
    static Object attributePath(Object item, String path, Object fallback) {
        Object v = item;
        for (String part : path.split("\\.", -1)) {
            Object key = !part.isEmpty() && part.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(part) : part;
            v = Access.getItem(v, key);
        }
        if (fallback != null && v instanceof Undefined) return fallback;
        return v;
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(Locale.ROOT) : v;
    }

    private static void sortList(List<Object> items, Comparator<Object> order) {
        try {
            items.sort(order);
        } catch (IllegalArgumentException e) {
            throw TemplateRuntimeError.of("the values cannot be sorted consistently (a NaN?)");
        }
    }

    /**
     * The sort filter's order: Jinja2 sorts by a list of keys (make_multi_attrgetter), and Python
     * compares lists by finding the first unequal pair with == before using <, so equal keys
     * (two undefined ones included) never reach <.
     */
    private static int order(Object x, Object y) {
        return Py.eq(x, y) ? 0 : Py.compare(x, y, "<");
    }

    private static Object dictsort(Object value, CallArgs a) {
        if (!(value instanceof Map<?, ?> m)) throw TemplateRuntimeError.of("You can only sort by either 'key' or 'value'");
        boolean cs = a.bool(0, "case_sensitive", false);
        String by = a.string(1, "by", "key");
        boolean reverse = a.bool(2, "reverse", false);
        if (!by.equals("key") && !by.equals("value")) throw TemplateRuntimeError.of("You can only sort by either 'key' or 'value'");
        int pos = by.equals("key") ? 0 : 1;
        List<Object> items = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) items.add(new Tuple(e.getKey(), e.getValue()));
        Comparator<Object> order = (x, y) -> order(sortKey(((Tuple) x).get(pos), cs), sortKey(((Tuple) y).get(pos), cs));
        sortList(items, reverse ? order.reversed() : order);
        return items;
    }

    private static Object sort(Object value, CallArgs a) {
        boolean reverse = a.bool(0, "reverse", false);
        boolean cs = a.bool(1, "case_sensitive", false);
        Object attribute = a.get(2, "attribute", null);
        List<Object> items = new ArrayList<>(Operators.iterate(value));
        List<String> paths = attribute == null ? List.of() : List.of(Py.str(attribute).split(","));
        Comparator<Object> order = (x, y) -> {
            if (paths.isEmpty()) return order(sortKey(x, cs), sortKey(y, cs));
            for (String p : paths) {
                int c = order(sortKey(attributePath(x, p.strip(), null), cs), sortKey(attributePath(y, p.strip(), null), cs));
                if (c != 0) return c;
            }
            return 0;
        };
        sortList(items, reverse ? order.reversed() : order);
        return items;
    }

    private static List<Object> unique(Object value, CallArgs a) {
        boolean cs = a.bool(0, "case_sensitive", false);
        Object attribute = a.get(1, "attribute", null);
        List<Object> seen = new ArrayList<>();
        List<Object> out = new ArrayList<>();
        for (Object item : Operators.iterate(value)) {
            Object key = sortKey(attribute == null ? item : attributePath(item, Py.str(attribute), null), cs);
            boolean dup = false;
            for (Object s : seen) if (Py.eq(s, key)) { dup = true; break; }
            if (!dup) {
                seen.add(key);
                out.add(item);
            }
        }
        return out;
    }

    private static Object minMax(Object value, CallArgs a, boolean max) {
        boolean cs = a.bool(0, "case_sensitive", false);
        Object attribute = a.get(1, "attribute", null);
        List<Object> items = Operators.iterate(value);
        if (items.isEmpty()) return new Undefined("No aggregated item, sequence was empty.");
        Object best = items.getFirst();
        for (Object item : items.subList(1, items.size())) {
            Object k1 = sortKey(attribute == null ? item : attributePath(item, Py.str(attribute), null), cs);
            Object k2 = sortKey(attribute == null ? best : attributePath(best, Py.str(attribute), null), cs);
            int c = Py.compare(k1, k2, "<");
            if (max ? c == 1 : c == -1) best = item;
        }
        return best;
    }

    private static Object sum(Object value, CallArgs a) {
        Object attribute = a.get(0, "attribute", null);
        Object total = a.get(1, "start", 0L);
        for (Object item : Operators.iterate(value)) {
            Object v = attribute == null ? item : attributePath(item, Py.str(attribute), null);
            total = Operators.binary("+", total, v, Limits.DEFAULT);
        }
        return total;
    }

    private static Object join(Object value, CallArgs a, Renderer r) {
        String sep = a.string(0, "d", "");
        Object attribute = a.get(1, "attribute", null);
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object item : Operators.iterate(value)) {
            if (!first) b.append(sep);
            first = false;
            b.append(Py.str(attribute == null ? item : attributePath(item, Py.str(attribute), null)));
            r.limits.checkString(b.length(), null);
        }
        return b.toString();
    }

    private static List<Object> map(Object value, CallArgs a, Renderer r) {
        List<Object> out = new ArrayList<>();
        List<Object> items = Operators.iterate(value);
        if (a.positional().isEmpty() && a.keywords().containsKey("attribute")) {
            String attribute = Py.str(a.keywords().get("attribute"));
            Object fallback = a.keywords().get("default");
            for (Object item : items) out.add(attributePath(item, attribute, fallback));
            return out;
        }
        if (a.positional().isEmpty()) throw TemplateRuntimeError.of("map requires a filter argument");
        String filter = Py.str(a.positional().getFirst());
        if (!exists(filter)) throw TemplateRuntimeError.of("No filter named '" + filter + "'.");
        CallArgs rest = new CallArgs(filter, a.positional().subList(1, a.positional().size()), a.keywords());
        for (Object item : items) out.add(apply(filter, item, rest, r));
        return out;
    }

    private static List<Object> select(Object value, CallArgs a, Renderer r, boolean keep, boolean byAttribute) {
        int next = 0;
        String attribute = byAttribute ? Py.str(a.get(next++, "attr", CallArgs.REQUIRED)) : null;
        String test = a.positional().size() > next ? Py.str(a.positional().get(next++)) : null;
        if (test != null && !Tests.exists(test)) throw TemplateRuntimeError.of("No test named '" + test + "'.");
        CallArgs rest = new CallArgs(test, a.positional().subList(Math.min(next, a.positional().size()), a.positional().size()), a.keywords());
        List<Object> out = new ArrayList<>();
        for (Object item : Operators.iterate(value)) {
            Object v = byAttribute ? attributePath(item, attribute, null) : item;
            boolean pass = test == null ? Py.truthy(v) : Py.truthy(Tests.apply(test, v, rest, r));
            if (pass == keep) out.add(item);
        }
        return out;
    }

    private static List<Object> batch(Object value, long size, Object fill, Renderer r) {
        if (size <= 0) throw TemplateRuntimeError.of("batch size must be positive");
        List<Object> out = new ArrayList<>();
        List<Object> current = new ArrayList<>();
        for (Object item : Operators.iterate(value)) {
            if (current.size() == size) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(item);
        }
        if (!current.isEmpty()) {
            if (fill != null) while (current.size() < size) current.add(fill);
            out.add(current);
        }
        return out;
    }

    private static List<Object> slice(Object value, long slices, Object fill) {
        if (slices <= 0 || slices > 1 << 20) throw TemplateRuntimeError.of("slice count must be between 1 and 2^20");
        List<Object> seq = Operators.iterate(value);
        int length = seq.size();
        int perSlice = (int) (length / slices), withExtra = (int) (length % slices);
        int offset = 0;
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
            int start = offset + i * perSlice;
            if (i < withExtra) offset++;
            int end = offset + (i + 1) * perSlice;
            List<Object> part = new ArrayList<>(seq.subList(start, end));
            if (fill != null && i >= withExtra) part.add(fill);
            out.add(part);
        }
        return out;
    }

    private static Object groupby(Object value, CallArgs a) {
        String attribute = Py.str(a.get(0, "attribute", CallArgs.REQUIRED));
        Object fallback = a.get(1, "default", null);
        boolean cs = a.bool(2, "case_sensitive", false);
        List<Object> items = new ArrayList<>(Operators.iterate(value));
        sortList(items, (x, y) -> Py.compare(sortKey(attributePath(x, attribute, fallback), cs), sortKey(attributePath(y, attribute, fallback), cs), "<"));
        List<Object> out = new ArrayList<>();
        Object groupKey = Access.MISSING;
        List<Object> group = null;
        Object grouper = null;
        for (Object item : items) {
            Object raw = attributePath(item, attribute, fallback);
            Object key = sortKey(raw, cs);
            if (group == null || !Py.eq(key, groupKey)) {
                if (group != null) out.add(new GroupTuple(grouper, group));
                group = new ArrayList<>();
                groupKey = key;
                grouper = raw;
            }
            group.add(item);
        }
        if (group != null) out.add(new GroupTuple(grouper, group));
        return out;
    }

    /** groupby's named tuple: {@code (grouper, list)} with those two attributes. */
    private static final class GroupTuple extends Tuple {
        GroupTuple(Object grouper, List<Object> list) {
            super(grouper, list);
        }

        @Override
        Object attribute(String name) {
            return name.equals("grouper") ? get(0) : name.equals("list") ? get(1) : null;
        }
    }

    private static String indent(String s, Object width, boolean first, boolean blank) {
        String indention = width instanceof String w ? w : " ".repeat((int) Math.max(0, Math.min(Py.asLong(width), 1 << 16)));
        List<Object> split = StringMethods.splitlines(s + "\n", false); // Jinja2 appends "\n" before splitlines()
        String rv;
        if (blank) {
            rv = String.join("\n" + indention, split.stream().map(Object::toString).toList());
        } else {
            StringBuilder b = new StringBuilder((String) split.getFirst());
            for (Object line : split.subList(1, split.size())) b.append('\n').append(((String) line).isEmpty() ? "" : indention + line);
            rv = b.toString();
        }
        return first ? indention + rv : rv;
    }

    private static Object round(Object value, long precision, String method) {
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor"))
            throw TemplateRuntimeError.of("method must be common, ceil or floor");
        if (value instanceof Undefined u) throw u.error();
        if (!Py.isNumber(value)) throw TemplateRuntimeError.of("type " + Py.typeName(value) + " doesn't define __round__ method");
        if (method.equals("common")) {
            if (Py.isInteger(value) && precision >= 0) return Py.asLong(value);
            double d = Py.asDouble(value);
            if (!Double.isFinite(d)) return d;
            return new BigDecimal(d).setScale((int) Math.max(-400, Math.min(400, precision)), RoundingMode.HALF_EVEN).doubleValue();
        }
        double scale = Math.pow(10, precision);
        double v = Py.asDouble(value) * scale;
        return (method.equals("ceil") ? Math.ceil(v) : Math.floor(v)) / scale;
    }

    static Object toInt(Object value, Object fallback, long base) {
        if (Py.isInteger(value)) return Py.asLong(value);
        if (value instanceof Double d) return Double.isFinite(d) ? exactLong(d) : fallback;
        if (value instanceof String s) {
            String t = Py.strip(s).replace("_", "");
            try {
                int radix = (int) base;
                if (base == 0 || base == 16 && t.matches("[-+]?0[xX].*") || base == 8 && t.matches("[-+]?0[oO].*") || base == 2 && t.matches("[-+]?0[bB].*")) {
                    String sign = t.startsWith("-") ? "-" : "";
                    String body = t.replaceFirst("^[-+]", "");
                    if (body.length() > 1 && Character.isLetter(body.charAt(1))) {
                        radix = switch (Character.toLowerCase(body.charAt(1))) { case 'x' -> 16; case 'o' -> 8; case 'b' -> 2; default -> 10; };
                        body = body.substring(2);
                    } else if (base == 0) {
                        radix = 10;
                    }
                    return Long.parseLong(sign + body, radix);
                }
                return Long.parseLong(t, radix);
            } catch (NumberFormatException e) {
                try {
                    double d = Double.parseDouble(Py.strip(s));
                    return Double.isFinite(d) ? exactLong(d) : fallback;
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    /** int(d) for a finite float; beyond 64 bits Python makes a big integer, which this engine does not have. */
    private static Object exactLong(double d) {
        if (Math.abs(d) >= 0x1p63) throw TemplateRuntimeError.of("int(" + Py.floatRepr(d) + ") exceeds 64 bits (Python would use a big integer)");
        return (long) d;
    }

    static Object toFloat(Object value, Object fallback) {
        if (Py.isNumber(value)) return Py.asDouble(value);
        if (value instanceof String s) {
            String t = Py.strip(s).toLowerCase(Locale.ROOT);
            switch (t) {
                case "inf", "+inf", "infinity", "+infinity" -> { return Double.POSITIVE_INFINITY; }
                case "-inf", "-infinity" -> { return Double.NEGATIVE_INFINITY; }
                case "nan", "+nan", "-nan" -> { return Double.NaN; }
                default -> { }
            }
            if (!t.matches("[-+]?(\\d[\\d_]*\\.?[\\d_]*|\\.\\d[\\d_]*)(e[-+]?\\d+)?")) return fallback;
            try {
                return Double.parseDouble(t.replace("_", ""));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    private static String fileSize(Object value, boolean binary) {
        Object parsed = value instanceof Undefined u ? null : toFloat(value, null);
        if (parsed == null) throw TemplateRuntimeError.of("could not convert " + Py.typeName(value) + " to float: " + Py.repr(value));
        double bytes = Py.asDouble(parsed);
        int base = binary ? 1024 : 1000;
        String[] prefixes = binary ? new String[] {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
                : new String[] {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
        if (bytes == 1) return "1 Byte";
        if (bytes < base) return (long) bytes + " Bytes";
        for (int i = 0; i < prefixes.length; i++) {
            double unit = Math.pow(base, i + 2);
            if (bytes < unit) return NumberText.fixed(base * bytes / unit, 1) + " " + prefixes[i];
        }
        return NumberText.fixed(base * bytes / Math.pow(base, prefixes.length + 1), 1) + " " + prefixes[prefixes.length - 1];
    }

    /** Jinja2's do_title: a word starts after '-', whitespace, or an opening bracket. */
    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        Matcher m = Pattern.compile("([-\\s({\\[<]+)", Pattern.UNICODE_CHARACTER_CLASS).matcher(s);
        int last = 0;
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group());
            last = m.end();
        }
        parts.add(s.substring(last));
        for (String item : parts) {
            if (item.isEmpty()) continue;
            int first = item.codePointAt(0);
            int n = Character.charCount(first);
            b.append(item.substring(0, n).toUpperCase(Locale.ROOT)).append(item.substring(n).toLowerCase(Locale.ROOT));
        }
        return b.toString();
    }

    private static String stripTags(String s) {
        String noTags = s.replaceAll("(?s)<!--.*?-->|<[^>]*>", "");
        String collapsed = String.join(" ", StringMethods.split(noTags, null, -1, false).stream().map(Object::toString).toList());
        return collapsed.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"")
                .replace("&quot;", "\"").replace("&#39;", "'");
    }

    private static String truncate(String s, CallArgs a) {
        long length = a.integer(0, "length", 255);
        boolean killwords = a.bool(1, "killwords", false);
        String end = a.string(2, "end", "...");
        long leeway = a.integer(3, "leeway", 5);
        if (length < Py.length(end)) throw TemplateRuntimeError.of("expected length >= " + Py.length(end) + ", got " + length);
        if (leeway < 0) throw TemplateRuntimeError.of("expected leeway >= 0, got " + leeway);
        if (Py.length(s) <= length + leeway) return s;
        String head = (String) Operators.slice(s, null, length - Py.length(end), null);
        if (killwords) return head + end;
        int space = head.lastIndexOf(' ');
        return (space < 0 ? head : head.substring(0, space)) + end;
    }

    private static String urlencode(Object value) {
        if (value instanceof String || value instanceof Undefined || value == null || Py.isNumber(value)) return quote(Py.str(value), "/");
        List<Object> pairs = new ArrayList<>();
        if (value instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) pairs.add(new Tuple(e.getKey(), e.getValue()));
        else pairs.addAll(Operators.iterate(value));
        List<String> parts = new ArrayList<>();
        for (Object pair : pairs) {
            List<Object> kv = Operators.iterate(pair);
            if (kv.size() != 2) throw TemplateRuntimeError.of("urlencode: expected (key, value) pairs, found " + Py.repr(pair));
            // url_quote(..., for_qs=True): nothing safe, and a space becomes '+'
            parts.add(quote(Py.str(kv.get(0)), "").replace("%20", "+") + "=" + quote(Py.str(kv.get(1)), "").replace("%20", "+"));
        }
        return String.join("&", parts);
    }

    /** urllib.parse.quote: keep letters, digits, "_.-~" and {@code safe}; percent-encode UTF-8 bytes. */
    private static String quote(String s, String safe) {
        String encoded = URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
        for (char c : safe.toCharArray()) encoded = encoded.replace(String.format("%%%02X", (int) c), String.valueOf(c));
        return encoded;
    }

    private static String xmlattr(Object value, boolean autospace) {
        if (!(value instanceof Map<?, ?> m)) throw TemplateRuntimeError.of("xmlattr needs a mapping");
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getValue() == null || e.getValue() instanceof Undefined) continue;
            String key = Py.str(e.getKey());
            if (!key.matches("[^\\s/>=]+")) throw TemplateRuntimeError.of("Invalid character in attribute name: " + Py.repr(key));
            parts.add(escape(key) + "=\"" + escape(Py.str(e.getValue())) + "\"");
        }
        String rv = String.join(" ", parts);
        return autospace && !rv.isEmpty() ? " " + rv : rv;
    }
}
