package dev.akvq.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python's str methods as templates call them ({@code message.content.strip()},
 * {@code .split()}, {@code .startswith()}, ...). Positions are code points, as Python's are.
 */
final class StringMethods {
    private StringMethods() {}

    static TemplateFunction bind(String s, String name) {
        return switch (name) {
            case "upper" -> (args, kw) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (args, kw) -> s.toLowerCase(Locale.ROOT);
            case "casefold" -> (args, kw) -> s.toLowerCase(Locale.ROOT);
            case "capitalize" -> (args, kw) -> capitalize(s);
            case "title" -> (args, kw) -> title(s);
            case "swapcase" -> (args, kw) -> swapcase(s);
            case "strip", "lstrip", "rstrip" -> (args, kw) -> {
                String chars = new CallArgs(name, args, kw).optionalString(0, "chars");
                return Py.strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            };
            case "split", "rsplit" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                return split(s, a.optionalString(0, "sep"), a.integer(1, "maxsplit", -1), name.equals("rsplit"));
            };
            case "splitlines" -> (args, kw) -> splitlines(s, new CallArgs(name, args, kw).bool(0, "keepends", false));
            case "startswith", "endswith" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                Object affix = a.get(0, "prefix", CallArgs.REQUIRED);
                String part = window(s, a);
                List<Object> options = affix instanceof Tuple t ? t : List.of(affix);
                for (Object o : options) {
                    if (!(o instanceof String x)) throw TemplateRuntimeError.of(name + " first arg must be str or a tuple of str, not " + Py.typeName(o));
                    if (name.equals("startswith") ? part.startsWith(x) : part.endsWith(x)) return true;
                }
                return false;
            };
            case "find", "rfind", "index", "rindex" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                String sub = a.string(0, "sub", null);
                long start = startOf(s, a);
                String part = window(s, a);
                int at = name.startsWith("r") ? part.lastIndexOf(sub) : part.indexOf(sub);
                if (at < 0) {
                    if (name.endsWith("index")) throw TemplateRuntimeError.of("substring not found");
                    return -1L;
                }
                return start + part.codePointCount(0, at);
            };
            case "count" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                String sub = a.string(0, "sub", null);
                String part = window(s, a);
                if (sub.isEmpty()) return (long) Py.length(part) + 1;
                long n = 0;
                for (int i = part.indexOf(sub); i >= 0; i = part.indexOf(sub, i + sub.length())) n++;
                return n;
            };
            case "replace" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                return replace(s, a.string(0, "old", null), a.string(1, "new", null), a.integer(2, "count", -1));
            };
            case "join" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                StringBuilder b = new StringBuilder();
                List<Object> items = Operators.iterate(a.get(0, "iterable", CallArgs.REQUIRED));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String x))
                        throw TemplateRuntimeError.of("sequence item " + i + ": expected str instance, " + Py.typeName(items.get(i)) + " found");
                    if (i > 0) b.append(s);
                    b.append(x);
                }
                return b.toString();
            };
            case "center", "ljust", "rjust" -> (args, kw) -> {
                CallArgs a = new CallArgs(name, args, kw);
                long width = a.integer(0, "width", 0);
                String fill = a.string(1, "fillchar", " ");
                return pad(s, width, fill, name);
            };
            case "zfill" -> (args, kw) -> {
                long width = new CallArgs(name, args, kw).integer(0, "width", 0);
                int n = Py.length(s);
                if (width <= n) return s;
                int sign = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? 1 : 0;
                return s.substring(0, sign) + "0".repeat((int) (width - n)) + s.substring(sign);
            };
            case "partition", "rpartition" -> (args, kw) -> {
                String sep = new CallArgs(name, args, kw).string(0, "sep", null);
                if (sep.isEmpty()) throw TemplateRuntimeError.of("empty separator");
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (at < 0) return name.equals("partition") ? new Tuple(s, "", "") : new Tuple("", "", s);
                return new Tuple(s.substring(0, at), sep, s.substring(at + sep.length()));
            };
            case "removeprefix" -> (args, kw) -> {
                String p = new CallArgs(name, args, kw).string(0, "prefix", null);
                return s.startsWith(p) ? s.substring(p.length()) : s;
            };
            case "removesuffix" -> (args, kw) -> {
                String p = new CallArgs(name, args, kw).string(0, "suffix", null);
                return s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
            };
            case "format" -> (args, kw) -> StrFormat.format(s, args, kw);
            case "isalpha" -> (args, kw) -> all(s, Character::isLetter);
            case "isalnum" -> (args, kw) -> all(s, Character::isLetterOrDigit);
            case "isdigit", "isdecimal", "isnumeric" -> (args, kw) -> all(s, Character::isDigit);
            case "isspace" -> (args, kw) -> !s.isEmpty() && s.chars().allMatch(c -> Py.isSpace((char) c));
            case "isascii" -> (args, kw) -> s.chars().allMatch(c -> c < 128);
            case "islower" -> (args, kw) -> hasCased(s) && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
            case "isupper" -> (args, kw) -> hasCased(s) && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
            case "istitle" -> (args, kw) -> hasCased(s) && title(s).equals(s);
            default -> null;
        };
    }

    private static boolean all(String s, java.util.function.IntPredicate p) {
        return !s.isEmpty() && s.codePoints().allMatch(p);
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    private static boolean hasCased(String s) {
        return s.codePoints().anyMatch(StringMethods::isCased);
    }

    /** Python 3.8+: the first character in title case, the rest lower case. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        int titled = Character.toTitleCase(first);
        String head = titled != first ? new String(Character.toChars(titled)) : s.substring(0, n).toUpperCase(Locale.ROOT);
        return head + s.substring(n).toLowerCase(Locale.ROOT);
    }

    /** Python's str.title(): a cased character after an uncased one starts a word. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isCased(cp)) {
                if (previousCased) b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
                else b.appendCodePoint(Character.toTitleCase(cp));
                previousCased = true;
            } else {
                b.appendCodePoint(cp);
                previousCased = false;
            }
        }
        return b.toString();
    }

    private static String swapcase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            String c = new String(Character.toChars(cp));
            b.append(Character.isUpperCase(cp) ? c.toLowerCase(Locale.ROOT) : Character.isLowerCase(cp) ? c.toUpperCase(Locale.ROOT) : c);
        });
        return b.toString();
    }

    private static long startOf(String s, CallArgs a) {
        Object start = a.get(1, "start", null);
        if (start == null) return 0;
        long n = Py.length(s), i = Py.asLong(start);
        return i < 0 ? Math.max(0, i + n) : Math.min(i, n);
    }

    /** {@code s[start:end]} for the optional start/end arguments of find, count, startswith. */
    private static String window(String s, CallArgs a) {
        Object start = a.get(1, "start", null), end = a.get(2, "end", null);
        if (start == null && end == null) return s;
        return (String) Operators.slice(s, start, end, null);
    }

    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            if (!old.isEmpty()) return s.replace(old, replacement);
            count = Long.MAX_VALUE;
        }
        StringBuilder b = new StringBuilder();
        if (old.isEmpty()) {
            int i = 0;
            long done = 0;
            while (done < count) {
                b.append(replacement);
                done++;
                if (i >= s.length()) break;
                int cp = s.codePointAt(i);
                b.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            return b.append(s, Math.min(i, s.length()), s.length()).toString();
        }
        int from = 0;
        for (long done = 0; done < count; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            b.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return b.append(s, from, s.length()).toString();
    }

    static List<Object> split(String s, String sep, long maxsplit, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (sep != null && sep.isEmpty()) throw TemplateRuntimeError.of("empty separator");
        if (maxsplit < 0) maxsplit = Long.MAX_VALUE;
        if (sep == null) {
            List<int[]> words = new ArrayList<>();
            int i = 0, n = s.length();
            while (i < n) {
                while (i < n && Py.isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                int start = i;
                while (i < n && !Py.isSpace(s.charAt(i))) i++;
                words.add(new int[] {start, i});
            }
            if (words.isEmpty()) return out;
            if (words.size() - 1 <= maxsplit) {
                for (int[] w : words) out.add(s.substring(w[0], w[1]));
            } else if (!fromRight) {
                for (int k = 0; k < maxsplit; k++) out.add(s.substring(words.get(k)[0], words.get(k)[1]));
                out.add(Py.rstrip(s.substring(words.get((int) maxsplit)[0])));
            } else {
                int firstKept = words.size() - (int) maxsplit;
                out.add(Py.lstrip(s.substring(0, words.get(firstKept - 1)[1])));
                for (int k = firstKept; k < words.size(); k++) out.add(s.substring(words.get(k)[0], words.get(k)[1]));
            }
            return out;
        }
        if (!fromRight) {
            int from = 0;
            for (long k = 0; k < maxsplit; k++) {
                int at = s.indexOf(sep, from);
                if (at < 0) break;
                out.add(s.substring(from, at));
                from = at + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }
        int end = s.length();
        List<Object> reversed = new ArrayList<>();
        for (long k = 0; k < maxsplit; k++) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) break;
            reversed.add(s.substring(at + sep.length(), end));
            end = at;
        }
        out.add(s.substring(0, end));
        for (int k = reversed.size() - 1; k >= 0; k--) out.add(reversed.get(k));
        return out;
    }

    static List<Object> splitlines(String s, boolean keepEnds) {
        List<Object> out = new ArrayList<>();
        int start = 0, i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int breakLen = 0;
            if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') breakLen = 2;
            else if ("\n\r\u000b\f\u001c\u001d\u001e\u0085\u2028\u2029".indexOf(c) >= 0) breakLen = 1;
            if (breakLen > 0) {
                out.add(s.substring(start, keepEnds ? i + breakLen : i));
                i += breakLen;
                start = i;
            } else {
                i++;
            }
        }
        if (start < n) out.add(s.substring(start));
        return out;
    }

    static String pad(String s, long width, String fill, String how) {
        if (Py.length(fill) != 1) throw TemplateRuntimeError.of("The fill character must be exactly one character long");
        long n = Py.length(s);
        if (width <= n) return s;
        if (width > 1 << 24) throw TemplateRuntimeError.of("width " + width + " exceeds the string size limit");
        int pad = (int) (width - n);
        return switch (how) {
            case "ljust" -> s + fill.repeat(pad);
            case "rjust" -> fill.repeat(pad) + s;
            default -> {
                // CPython's centering: the extra space goes left when the pad and width are both odd.
                int left = pad / 2 + (pad & (int) width & 1);
                yield fill.repeat(left) + s + fill.repeat(pad - left);
            }
        };
    }
}
