package dev.akvq.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties over generated templates: rendering fails only with a template error (never a
 * Java exception, a hang or an exhausted heap), a parsed template renders the same twice, and
 * whitespace control agrees with a plain model of Jinja2's rules (trim_blocks, lstrip_blocks,
 * '-' and '+' markers). The Jinja2 goldens (JinjaGoldenTest) check the same rules against
 * Jinja2 itself on stored cases.
 */
class TemplatePropertiesTest {
    /** Small limits so that a generated runaway template stops quickly. */
    private static final Limits SMALL = new Limits(100_000, 20, 20_000);
    private static final TemplateEnvironment ENV = ChatTemplate.environment(() -> LocalDateTime.of(2025, 1, 2, 3, 4, 5), SMALL);

    private static final String[] FRAGMENTS = {"{{", "}}", "{%", "%}", "{#", "#}", "{{ x }}", "{{ x.y }}", "{{ l[0] }}",
            "{{ l[1:] }}", "{{ x|upper }}", "{{ l|join(', ') }}", "{% if x %}", "{% elif l %}", "{% else %}", "{% endif %}",
            "{% for i in l %}", "{% for k, v in d.items() %}", "{% endfor %}", "{% set a = x ~ 'z' %}", "{{ a }}",
            "{% set ns = namespace(c=0) %}", "{% set ns.c = ns.c + 1 %}", "{{ ns.c }}", "{% macro m(p, q=2) %}", "{% endmacro %}",
            "{{ m(1) }}", "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}", "{% call m(1) %}", "{% endcall %}", "{{ caller() }}",
            "{{ loop.index }}", "{% break %}", "{% continue %}", "{{ 1 / 0 }}", "{{ 'ab' * 99999 }}", "{{ range(10 ** 6) }}",
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", "{{ x(1) }}", "{{ '%d' % 'x' }}",
            "{{ '{0}'.format() }}", "{{ raise_exception('boom') }}", "{{ d|tojson }}", "{{ d|dictsort }}", "{% raw %}",
            "{% endraw %}", "{% filter upper %}", "{% endfilter %}", "{{ (1, 2)[5] }}", "{{ x is defined }}", "{{ l|selectattr('a') }}",
            "{{ l|map('int')|list }}", "{{ l|sort|first }}", "{{ d.a.b.c }}", "{{ 2 ** 64 }}", "{{ -x }}", "{{ x + 1 }}",
            "{{ strftime_now('%Y-%m-%d %A') }}", "{% set l = l + l %}", "{% generation %}", "{% endgeneration %}", "{% with w = 1 %}",
            "{% endwith %}", "{{ l.append(1) }}", "{{ d.update({}) }}", "{{ d.__class__ }}", "'", "\"", "(", ")", "[", "]", "|",
            "-", "+", "~", " ", "\n", "\t", "text", "é", "😀", "\\", "{%-", "-%}", "{{-", "-}}", "{%+", "+%}", "is", "not", "in"};

    private static Object randomValue(Random rng, int depth) {
        return switch (rng.nextInt(depth > 2 ? 6 : 8)) {
            case 0 -> null;
            case 1 -> rng.nextBoolean();
            case 2 -> (long) rng.nextInt(21) - 10;
            case 3 -> rng.nextDouble() * 10 - 5;
            case 4, 5 -> List.of("", "a", "Hello", " x y ", "é😀", "{{ x }}", "1").get(rng.nextInt(7));
            case 6 -> {
                List<Object> l = new ArrayList<>();
                for (int i = rng.nextInt(4); i > 0; i--) l.add(randomValue(rng, depth + 1));
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = rng.nextInt(4); i > 0; i--) m.put(List.of("a", "b", "y", "role", "content").get(rng.nextInt(5)), randomValue(rng, depth + 1));
                yield m;
            }
        };
    }

    private static String randomTemplate(Random rng) {
        StringBuilder b = new StringBuilder();
        for (int i = rng.nextInt(30); i >= 0; i--) b.append(FRAGMENTS[rng.nextInt(FRAGMENTS.length)]);
        return b.toString();
    }

    private static Map<String, Object> randomVariables(Random rng) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("x", randomValue(rng, 0));
        v.put("l", randomValue(rng, 1));
        v.put("d", randomValue(rng, 1));
        return v;
    }

    /** The rendering, or the exception's class and message. Anything but a TemplateException propagates. */
    private static String outcome(Template t, Map<String, Object> variables) {
        try {
            return "ok: " + t.render(variables);
        } catch (TemplateException e) {
            assertFalse(e.getMessage().startsWith("internal error"), e.getMessage());
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** The parsed template, or null when it does not parse (then the error must locate the problem). */
    private static Template parsedOrNull(String source) {
        try {
            return ENV.parse(source);
        } catch (TemplateSyntaxError e) {
            assertTrue(e.line() >= 1 && e.column() >= 1, e.getMessage());
            return null;
        }
    }

    @Test
    void renderingFailsOnlyWithATemplateError() {
        qt().withExamples(3000).forAll(longs().all()).checkAssert(seed -> {
            Random rng = new Random(seed);
            String source = randomTemplate(rng);
            Template t = parsedOrNull(source);
            if (t == null) return;
            String result = outcome(t, randomVariables(rng));
            if (result.startsWith("TemplateRaisedError")) assertTrue(source.contains("raise_exception"), source);
            if (result.startsWith("ok: ")) assertTrue(result.length() <= SMALL.maxChars() + 4);
        });
    }

    @Test
    void aParsedTemplateRendersTheSameTwice() {
        qt().withExamples(1500).forAll(longs().all()).checkAssert(seed -> {
            Random rng = new Random(seed);
            String source = randomTemplate(rng);
            Template t = parsedOrNull(source);
            if (t == null) return;
            Map<String, Object> variables = randomVariables(rng);
            assertEquals(outcome(t, variables), outcome(t, variables), source);
        });
    }

    /** One tag of a whitespace case: kind 'b' ({% set %}), 'c' (comment) or 'v' ({{ 'v' }}), with its markers. */
    private record Tag(char kind, String open, String close) {
        String source() {
            return switch (kind) {
                case 'b' -> "{%" + open + " set s = 1 " + close + "%}";
                case 'c' -> "{#" + open + " note " + close + "#}";
                default -> "{{" + open + " 'v' " + close + "}}";
            };
        }
    }

    /**
     * Jinja2's whitespace rules written plainly, segment by segment (lexer.py, 3.1.2): the tag on
     * a segment's left strips all its leading whitespace ('-') or, for a block or comment with
     * trim_blocks, one newline ('+' keeps it); the tag on its right strips all its trailing
     * whitespace ('-') or, for a block or comment with lstrip_blocks, the spaces and tabs that
     * make up the whole of its last line ('+' keeps them). A single newline ending the template
     * is dropped.
     */
    static String model(List<String> segments, List<Tag> tags, boolean trim, boolean lstrip) {
        List<String> segs = new ArrayList<>(segments);
        String last = segs.getLast();
        if (last.endsWith("\n")) segs.set(segs.size() - 1, last.substring(0, last.length() - 1));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < segs.size(); i++) {
            String seg = segs.get(i);
            boolean lineStarting = i == 0;
            if (i > 0) {
                Tag left = tags.get(i - 1);
                if (left.close().equals("-")) {
                    int k = 0;
                    while (k < seg.length() && Py.isSpace(seg.charAt(k))) k++;
                    lineStarting = k > 0 && seg.charAt(k - 1) == '\n';
                    seg = seg.substring(k);
                } else if (left.kind() != 'v' && left.close().isEmpty() && trim && seg.startsWith("\n")) {
                    seg = seg.substring(1);
                    lineStarting = true;
                }
            }
            if (i < tags.size()) {
                Tag right = tags.get(i);
                if (right.open().equals("-")) {
                    seg = Py.rstrip(seg);
                } else if (right.kind() != 'v' && !right.open().equals("+") && lstrip) {
                    int lp = seg.lastIndexOf('\n') + 1;
                    if ((lp > 0 || lineStarting) && lp < seg.length() && seg.substring(lp).chars().allMatch(c -> Py.isSpace((char) c)))
                        seg = seg.substring(0, lp);
                }
            }
            out.append(seg);
            if (i < tags.size() && tags.get(i).kind() == 'v') out.append('v');
        }
        return out.toString();
    }

    @Test
    void whitespaceControlMatchesJinja2sRules() {
        qt().withExamples(4000).forAll(longs().all()).checkAssert(seed -> {
            Random rng = new Random(seed);
            int n = rng.nextInt(5) + 1;
            List<Tag> tags = new ArrayList<>();
            List<String> segments = new ArrayList<>();
            StringBuilder source = new StringBuilder();
            for (int i = 0; i <= n; i++) {
                StringBuilder seg = new StringBuilder();
                for (int k = rng.nextInt(7); k > 0; k--) seg.append(" \t\n\na".charAt(rng.nextInt(5)));
                segments.add(seg.toString());
                source.append(seg);
                if (i < n) {
                    char kind = "bbcv".charAt(rng.nextInt(4));
                    String[] marks = kind == 'v' ? new String[] {"", "-"} : new String[] {"", "", "-", "+"};
                    Tag tag = new Tag(kind, marks[rng.nextInt(marks.length)], marks[rng.nextInt(marks.length)]);
                    tags.add(tag);
                    source.append(tag.source());
                }
            }
            boolean trim = rng.nextBoolean(), lstrip = rng.nextBoolean();
            String got = new TemplateEnvironment(trim, lstrip, Map.of(), Limits.DEFAULT).parse(source.toString()).render(Map.of());
            assertEquals(model(segments, tags, trim, lstrip), got, Py.repr(source.toString()) + " trim=" + trim + " lstrip=" + lstrip);
        });
    }

    @Test
    void theWhitespaceModelCanFail() {
        // The model strips like Jinja2 ("a\n  " before an lstripped tag keeps "a\n"), so a
        // renderer that forgot lstrip_blocks would be caught.
        List<Tag> tags = List.of(new Tag('b', "", ""));
        assertEquals("a\nb", model(List.of("a\n  ", "b"), tags, true, true));
        assertEquals("a\n  b", new TemplateEnvironment(true, false, Map.of(), Limits.DEFAULT).parse("a\n  {% set s = 1 %}b").render(Map.of()));
    }

    @Test
    void limitsStopRunawayTemplates() {
        assertThrows(TemplateRuntimeError.class, () -> ENV.parse("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}").render(Map.of()));
        assertThrows(TemplateRuntimeError.class, () -> ENV.parse("{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}").render(Map.of()));
        assertThrows(TemplateRuntimeError.class, () -> ENV.parse("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}").render(Map.of()));
        assertThrows(TemplateRuntimeError.class, () -> ENV.parse("{{ range(100001) }}").render(Map.of()));
        TemplateSyntaxError e = assertThrows(TemplateSyntaxError.class, () -> ENV.parse("line one\n{% if x %}\n  {{ x + }}\n{% endif %}"));
        assertEquals(3, e.line());
        assertEquals(10, e.column());
        String deep = "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
        assertThrows(TemplateSyntaxError.class, () -> ENV.parse(deep));
    }
}
