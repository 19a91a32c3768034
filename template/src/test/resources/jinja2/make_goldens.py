"""Goldens for the Jinja engine from Jinja2 itself (python3-jinja2 3.1.x).

Writes cases.jsonl: one {"id", "template", "trim_blocks", "lstrip_blocks", "rendered"} or
{..., "error": "<exception class>"} per line. Three groups, all seeded, so a rerun writes the
same file:
  ws-*    random mixes of text, whitespace and tags with random '-' / '+' markers, rendered with
          every combination of trim_blocks and lstrip_blocks (whitespace control);
  expr-*  random expressions over the variables in VARIABLES (Python semantics of operators,
          filters, tests, methods, slicing, printing);
  lang-*  hand-written templates for each statement and feature of the language (LANGUAGE).
The environment is transformers' (ImmutableSandboxedEnvironment, loopcontrols, its tojson).

    /usr/bin/python3 make_goldens.py > /dev/null   # rewrites cases.jsonl next to this file
"""
import json, os, random, re
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols

VARIABLES = {
    "s": "Hello World", "e": "", "u": "ünï ß 😀 end", "sp": "  padded\t\n", "n": 5, "m": -3, "z": 0, "f": 2.5,
    "g": -0.125, "big": 1e20, "tiny": 1e-7, "t": True, "F": False, "nn": None, "l": [3, 1, 2], "ls": ["b", "A", "c"],
    "ll": [], "d": {"b": 1, "a": 2}, "dd": {}, "users": [{"name": "x", "age": 3}, {"name": "Y", "age": 1}, {"name": "x", "age": 2}],
    "nested": {"k": [1, {"q": "v"}]}, "lines": "a\nb\n\nc", "q": "it's \"quoted\"", "num": "42", "fl": "3.75",
}


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment(trim, lstrip):
    env = ImmutableSandboxedEnvironment(trim_blocks=trim, lstrip_blocks=lstrip, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    return env


def render(template, trim=True, lstrip=True):
    try:
        rendered = environment(trim, lstrip).from_string(template).render(**VARIABLES)
    except Exception as e:  # the class only: messages are Python's, the engine matches the outcome
        return {"error": type(e).__name__}
    # Lazy filters (select, map, batch, ...) return generators; printing one shows a memory
    # address. Templates iterate or |list them; a case that prints one is left out.
    if re.search(r" at 0x[0-9a-f]+>", rendered, re.IGNORECASE):
        return None
    # Python's integers are unbounded; the engine's are 64-bit and fails past them.
    if any(len(w.strip("-")) > 18 and w.strip("-").isdigit() for w in rendered.replace("[", " ").replace("]", " ").replace(",", " ").split()):
        return {"error": "OverflowError", "difference": "64-bit integers"}
    return {"rendered": rendered}


def whitespace_case(rng):
    pieces = []
    for _ in range(rng.randint(2, 9)):
        kind = rng.choice(["text", "text", "if", "for", "var", "comment", "set", "raw"])
        ws = lambda: rng.choice(["", " ", "  ", "\t", "\n", " \n", "\n  ", "\n\n", " \t \n "])
        open_mark = lambda: rng.choice(["", "", "-", "+"])
        close_mark = lambda: rng.choice(["", "", "-", "+"])
        if kind == "text":
            pieces.append(ws() + rng.choice(["a", "b c", "x\ny", "{", "}", "%"]) + ws())
        elif kind == "if":
            pieces.append(ws() + "{%" + open_mark() + " if " + rng.choice(["true", "false"]) + " " + close_mark() + "%}" + ws()
                          + rng.choice(["T", " T ", "\nT\n"]) + ws() + "{%" + open_mark() + " else " + close_mark() + "%}"
                          + ws() + "E" + ws() + "{%" + open_mark() + " endif " + close_mark() + "%}" + ws())
        elif kind == "for":
            pieces.append(ws() + "{%" + open_mark() + " for i in [1, 2] " + close_mark() + "%}" + ws() + "{{ i }}" + ws()
                          + "{%" + open_mark() + " endfor " + close_mark() + "%}" + ws())
        elif kind == "var":
            pieces.append(ws() + "{{" + rng.choice(["", "-"]) + " 'v' " + rng.choice(["", "-"]) + "}}" + ws())
        elif kind == "comment":
            pieces.append(ws() + "{#" + open_mark() + " note " + close_mark() + "#}" + ws())
        elif kind == "set":
            pieces.append(ws() + "{%" + open_mark() + " set x = 1 " + close_mark() + "%}" + ws())
        else:
            pieces.append(ws() + "{%" + open_mark() + " raw " + rng.choice(["", "-"]) + "%}" + ws() + "{{ raw }}" + ws()
                          + "{%" + open_mark() + " endraw " + close_mark() + "%}" + ws())
    return "".join(pieces)


ATOMS = ["s", "e", "u", "sp", "n", "m", "z", "f", "g", "big", "tiny", "t", "F", "nn", "l", "ls", "ll", "d", "dd", "users",
         "nested", "lines", "q", "num", "fl", "undef", "0", "1", "7", "-2", "0.1", "1.5e3", "'abc'", "'A b'", "\"x'y\"",
         "'\\n\\t'", "'%s-%d'", "'{} {}'", "[1, 'a', none]", "(1, 2)", "(1,)", "{'k': 1, 'j': [2]}", "true", "false", "none",
         "range(4)", "'12'", "' 3 '"]
BINARY = ["+", "-", "*", "/", "//", "%", "~", "and", "or", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "**"]
FILTERS = ["abs", "capitalize", "center(9)", "count", "default('D')", "default('D', true)", "dictsort", "dictsort(by='value')",
           "escape", "first", "float", "int", "int(7)", "join", "join(', ')", "last", "length", "list", "lower", "upper",
           "max", "min", "replace('l', 'L')", "reverse", "round", "round(1)", "round(2, 'floor')", "sort", "sort(reverse=true)",
           "string", "sum", "title", "tojson", "tojson(indent=2)", "trim", "truncate(9)", "unique", "wordcount", "items",
           "batch(2)", "slice(2)", "select", "reject", "select('odd')", "map('upper')", "map('string')", "indent(2)",
           "indent(2, true)", "format(1)", "striptags", "urlencode", "filesizeformat", "pprint", "selectattr('age')",
           "map(attribute='name')", "groupby('name')", "sum(attribute='age')", "sort(attribute='age')", "first|string",
           "join('|', attribute='name')", "rejectattr('name', 'equalto', 'x')", "xmlattr", "d", "e"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "boolean",
         "true", "false", "odd", "even", "divisibleby(3)", "eq 5", "equalto('x')", "lower", "upper", "in [1, 3]", "sameas none",
         "callable", "gt 1", "le 2", "ne 0"]
METHODS = ["upper()", "lower()", "strip()", "split()", "split('l')", "startswith('He')", "endswith('d')", "replace('o', '0')",
           "title()", "capitalize()", "count('l')", "find('o')", "rfind('o')", "index(1)", "items()", "keys()", "values()",
           "get('a')", "get('x', 9)", "format(1, 2)", "join(['x', 'y'])", "splitlines()", "lstrip('H')", "rstrip('d')",
           "center(15, '*')", "ljust(12, '.')", "rjust(12)", "zfill(8)", "partition(' ')", "isdigit()", "isalpha()",
           "swapcase()", "casefold()", "append(1)", "pop()", "update({})", "copy()", "rsplit(' ', 1)", "removeprefix('He')"]
INDEXES = ["[0]", "[-1]", "[1:]", "[:2]", "[::-1]", "[1:3]", "['a']", "['name']", "[5]", ".name", ".k", ".a", ".0", "[0:5:2]",
           "[-2:]", "[:-1]"]


def expression(rng, depth):
    if depth <= 0:
        return rng.choice(ATOMS)
    r = rng.random()
    if r < 0.25:
        return "(" + expression(rng, depth - 1) + " " + rng.choice(BINARY) + " " + expression(rng, depth - 1) + ")"
    if r < 0.45:
        return expression(rng, depth - 1) + "|" + rng.choice(FILTERS)
    if r < 0.55:
        return "(" + expression(rng, depth - 1) + " is " + rng.choice(["", "not "]) + rng.choice(TESTS) + ")"
    if r < 0.7:
        return rng.choice(ATOMS) + "." + rng.choice(METHODS)
    if r < 0.82:  # on variables only: Jinja2 folds a subscript of a literal at compile time, with other rules
        return rng.choice([a for a in ATOMS if a.isidentifier() and a not in ("true", "false", "none")]) + rng.choice(INDEXES)
    if r < 0.9:
        return "(" + expression(rng, depth - 1) + " if " + expression(rng, depth - 1) + " else " + expression(rng, depth - 1) + ")"
    if r < 0.95:
        return rng.choice(["not ", "-"]) + expression(rng, depth - 1)
    return "[" + expression(rng, depth - 1) + ", " + expression(rng, depth - 1) + "]"


LANGUAGE = [
    "{% for x in l %}{{ loop.index }}/{{ loop.length }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% for x in l if x > 1 %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.revindex }}{{ loop.revindex0 }}{% endfor %}",
    "{% for x in ll %}{{ x }}{% else %}empty{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'héé' %}[{{ c }}]{% endfor %}",
    "{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in l %}{{ loop.previtem }}-{{ loop.nextitem }} {% endfor %}",
    "{% for x in l %}{{ loop.cycle('a', 'b') }}{{ loop.changed(x > 1) }}{% endfor %}",
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.depth }}{{ a }}{{ b }}{% endfor %}{% endfor %}",
    "{% for item in [1, [2, [3, 4]], 5] recursive %}{% if item is iterable %}({{ loop(item) }}){% else %}{{ item }}@{{ loop.depth }}{% endif %}{% endfor %}",
    "{% set c = 0 %}{% for x in l %}{% set c = c + x %}{% endfor %}{{ c }}",
    "{% set ns = namespace(c=0, items=[]) %}{% for x in l %}{% set ns.c = ns.c + x %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.c }}{{ ns.items }}",
    "{% set ns = namespace() %}{% set ns.a = 1 %}{{ ns.a }}{{ ns }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set (c, d) = [3, 4] %}{{ c + d }}",
    "{% set x %}block {{ n }}{% endset %}[{{ x }}]{% set y | upper %}up {{ s }}{% endset %}{{ y }}",
    "{% macro m(a, b=2, c='c') %}{{ a }}{{ b }}{{ c }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1) }}|{{ m(1, 3) }}|{{ m(1, c=4) }}|{{ m(1, 2, 3, 4, z=5) }}",
    "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inside {{ n }}{% endcall %}",
    "{% macro list(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) list([1, 2]) %}<{{ x }}>{% endcall %}",
    "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * fact(k - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
    "{% filter upper %}hello {{ s }}{% endfilter %}{% filter replace('a', 'b')|title %}aaa a{% endfilter %}",
    "{% with a = 1, b = n %}{{ a + b }}{% endwith %}{{ a }}",
    "{% if n > 3 %}big{% elif n > 1 %}mid{% else %}small{% endif %}{% if undef %}u{% elif nn is none %}none{% endif %}",
    "{{ 'yes' if t else 'no' }}{{ 'x' if F }}|{{ (1, 2) }}{{ (1,) }}{{ () }}{{ [] }}{{ {} }}",
    "{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 1 == 1.0 }}{{ true == 1 }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}",
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1.5 // 1 }} {{ -1.5 % 1 }}",
    "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.0 }} {{ -0.0 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789.123 }} {{ 2.5e-10 }}",
    "{{ 'a' ~ 1 ~ none ~ true ~ 1.5 ~ [1] ~ undef }}|{{ 'ab' * 3 }}{{ [0] * 2 }}{{ 3 * 'x' }}",
    "{{ '%s and %s' % ('a', 'b') }} {{ '%d%%' % 50 }} {{ '%5.2f|%-4d|%x|%r' % (3.14159, 7, 255, 'q') }} {{ '%(a)s' % {'a': 1} }}",
    "{{ '{} {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{n:>5}|{n:<5}|{n:^5}'.format(n='x') }} {{ '{:.3f} {:,} {:05d} {:+d}'.format(3.14159, 1234567, 42, 5) }}",
    "{{ '{:e}|{:g}|{:%}|{:x}|{:b}'.format(12345.678, 0.00001234, 0.25, 255, 5) }}",
    "{{ s[0] }}{{ s[-1] }}{{ s[1:4] }}{{ s[::2] }}{{ s[::-1] }}{{ l[1:] }}{{ l[-2:] }}{{ (1, 2, 3)[1:] }}{{ u[1:5] }}{{ u|length }}",
    "{{ d.a }}{{ d['b'] }}{{ d.items() | list }}{{ d.keys() | list }}{{ d.values() | list }}{{ d.get('zz', 'dflt') }}",
    "{{ users|map(attribute='name')|join(',') }}|{{ users|selectattr('name', 'equalto', 'x')|list|length }}|{{ users|sort(attribute='age')|map(attribute='age')|list }}",
    "{% for g in users|groupby('name') %}{{ g.grouper }}:{{ g.list|map(attribute='age')|list }};{% endfor %}{% for key, items in users|groupby('name') %}{{ key }}{{ items|length }}{% endfor %}",
    "{{ users|sum(attribute='age') }}{{ users|max(attribute='age') }}{{ ls|sort }}{{ ls|sort(case_sensitive=true) }}{{ ls|max }}{{ ls|unique|list }}",
    "{{ l|select('odd')|list }}{{ l|reject('odd')|list }}{{ [0, 1, '', 'a', none]|select|list }}{{ l|map('string')|join('-') }}",
    "{{ s|truncate(8) }}|{{ s|truncate(8, true) }}|{{ s|truncate(8, false, '..', 0) }}|{{ s|wordcount }}|{{ s|center(15) }}|",
    "{{ lines|indent }}|{{ lines|indent(2, true) }}|{{ lines|indent('> ', blank=true) }}",
    "{{ 'a&b<c>\"d\\'e'|e }}{{ '<p>x  y</p>'|striptags }}{{ 'a b/c'|urlencode }}{{ {'a': 1, 'b': 'x y'}|urlencode }}",
    "{{ 3.7|int }}{{ '12'|int }}{{ 'x'|int }}{{ '0x1A'|int(0, 16) }}{{ '3.5'|float }}{{ 'y'|float(1.5) }}{{ 2|float }}{{ true|int }}",
    "{{ 2.5|round }}{{ 3.5|round }}{{ 2.675|round(2) }}{{ 3|round }}{{ 1.55|round(1, 'ceil') }}{{ -1.5|round(0, 'floor') }}{{ -3|abs }}",
    "{{ d|tojson }}{{ [1, 'é', none, true, 1.5]|tojson }}{{ {'a': {'b': []}}|tojson(indent=2) }}{{ 'x'|tojson }}{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}",
    "{{ d|dictsort }}{{ d|dictsort(reverse=true) }}{{ d|dictsort(by='value') }}{{ {'B': 1, 'a': 2}|dictsort }}{{ {'B': 1, 'a': 2}|dictsort(true) }}",
    "{{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(5, 0, -2)|list }}{{ range(0)|list }}{{ dict(a=1, b=2) }}",
    "{{ undef is defined }}{{ undef is undefined }}{{ nn is none }}{{ n is number }}{{ t is number }}{{ t is integer }}{{ f is float }}{{ d is mapping }}{{ s is iterable }}{{ n is iterable }}{{ l is sequence }}",
    "{{ 'a' in 'cat' }}{{ 2 in l }}{{ 'a' in d }}{{ 'z' not in d }}{{ 1 in undef }}{{ 'x' in users[0].values() }}",
    "{{ undef }}|{{ undef|default('D') }}|{{ nn|default('D') }}|{{ nn|default('D', true) }}|{{ undef|length }}|{{ undef|list }}|{{ undef ~ 'x' }}",
    "{{ 'abc'['type'] }}|{{ 'abc'.type }}|{{ nn.x }}|{{ l.foo }}|{{ l[10] }}|{{ d.zz }}|{{ {'items': 1}.items is defined }}|{{ {'x': 1}['x'] }}",
    "{{ '  a b  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'xxaxx'.strip('x') }}",
    "{{ 'hello world'.title() }}|{{ \"they're bill's\".title() }}|{{ 'hello world'|title }}|{{ 'ß'.upper() }}|{{ 'uSER'|capitalize }}|{{ 'ǅx'.lower() }}",
    "{{ 'Hello'.startswith(('x', 'He')) }}{{ 'abc'.find('c', 1) }}{{ 'aaa'.count('a') }}{{ 'aaa'.replace('a', 'b', 2) }}{{ 'abc'.replace('', '-') }}",
    "{{ 'x'.center(6, '*') }}|{{ 'ab'.center(5) }}|{{ 'abc'.center(6) }}|{{ '-5'.zfill(5) }}|{{ 'a'.ljust(3) }}|",
    "{{ [1, 2] + [3] }}{{ (1,) + (2,) }}{{ [1, [2, 3]] == [1, [2, 3]] }}{{ {'a': [1]} == {'a': [1]} }}{{ (1, 2) == [1, 2] }}",
    "{{ -n }}{{ +f }}{{ not n }}{{ not ll }}{{ -t }}{{ n - 10 }}{{ z or 'zero' }}{{ n and 'five' }}{{ nn or ll or 'last' }}",
    "{{ 'multi\nline' }}{{ 'tab\\there' }}{{ 'uni\\u00e9\\x41\\101' }}{{ 'keep \\s \\d' }}{{ \"dq \\\" \" }}{{ 'a' 'b' \"c\" }}",
    "{% raw %}{{ not rendered }}{% endraw %}{# comment {{ x }} #}done",
    "{% set cyc = cycler('a', 'b') %}{{ cyc.next() }}{{ cyc.next() }}{{ cyc.next() }}{{ cyc.current }}{% set j = joiner('+') %}{{ j() }}x{{ j() }}y{{ j() }}",
    "{{ l|batch(2)|list }}{{ l|batch(2, 0)|list }}{{ [1, 2, 3, 4, 5]|slice(2)|list }}{{ [1, 2, 3, 4]|slice(3, 'f')|list }}",
    "{{ [1, 2]|sum }}{{ [1.5, 2]|sum }}{{ [[1], [2]]|sum(start=[]) }}{{ []|max }}{{ l|first }}{{ l|last }}{{ []|first }}{{ 'abc'|first }}{{ 'abc'|reverse }}{{ l|reverse|list }}",
    "{{ '%s' % none }}{{ '%s' % [1, 2] }}{{ '%s %s' % (1, 'a') }}{{ '%.3s' % 'abcdef' }}{{ '%05.1f' % 2.25 }}{{ '%e' % 12345.6789 }}{{ '%g' % 0.0000123 }}",
    "{{ 1 if true }}{{ none }}{{ true }}{{ [none, true, 'a', 1.0, {'k': none}] }}{{ \"it's\" }}{{ ['it\\'s', \"q\\\"\"] }}",
    "{{ users[0] }}{{ users[0].name }}{{ users.0.name }}{{ nested.k.1.q }}{{ nested['k'][1]['q'] }}{{ nested.k[-1].q }}",
    "{{ 10|filesizeformat }}{{ 1|filesizeformat }}{{ 2048|filesizeformat }}{{ 2048|filesizeformat(true) }}{{ 3000000000|filesizeformat }}",
    "{{ [3, 1, 2]|sort|join }}{{ ['b', 'a']|join(', ') }}{{ [1, 2]|join(', ') }}{{ 'abc'|join('.') }}{{ {'a': 1}|join }}",
    "{{ 'a' ~ 'b' if false else 'c' }}{{ 1 + 2 * 3 - 4 / 2 }}{{ 2 ** 3 ** 2 }}{{ -2 ** 2 }}{{ (1 + 2) * 3 }}{{ 10 - 2 - 3 }}{{ 'x' ~ (1 + 2) }}",
    "{{ -1|abs }}{{ not true == false }}{{ 1 in [1] == true }}{{ 'a' ~ 'b' | upper }}{{ [1, 2]|length > 1 }}",
    "{% set t1 = 'x' %}{% macro show() %}{{ t1 }}{{ n }}{% endmacro %}{{ show() }}{% set t1 = 'y' %}{{ show() }}",
    "{% for i in range(3) %}{% set outer = loop %}{% for j in range(2) %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}",
    "{% if true %}{% set inside = 1 %}{% endif %}{{ inside }}{% for x in [1] %}{% set inner = 2 %}{% endfor %}{{ inner }}",
    "{{ users|map(attribute='missing', default='?')|list }}{{ users|map(attribute='name')|list }}",
    "{{ l|list is sequence }}{{ 'abc'|list }}{{ d|list }}{{ (l|list).index(2) }}{{ l.count(1) }}{{ 5 is divisibleby 5 }}{{ 3 is odd }}",
    "{{ 'A B'|lower|replace(' ', '_') }}{{ '  x '|trim|length }}{{ 'xxhixx'|trim('x') }}{{ 'abc'|center(7)|length }}",
    "{%- if true -%}\n  a\n{%- endif -%}\n b {{- ' c ' -}} d\n{%+ if true %} e{% endif +%}\n f",
    "  {% if true %}\n    x\n  {% endif %}\n  {{ 'y' }}\n  {# c #}\n  z\n",
    "{{ 0.5|round }}{{ 1.5|round }}{{ (0.1 * 3)|round(15) }}{{ 1e300 * 1e10 }}{{ -1e300 * 1e10 }}{{ (1e300 * 1e10) - (1e300 * 1e10) }}",
    "{{ 9007199254740993 }}{{ 2 ** 62 }}{{ 12345678901234567 * 10 }}{{ 1_000 }}{{ 0x1F }}{{ 0o17 }}{{ 0b101 }}{{ 1_0.5 }}",
    "{{ [1, 2, 3][1:] }}{{ 'abcdef'[1:5:2] }}{{ 'abc'[5:] }}{{ 'abc'[-10:2] }}{{ [1, 2][::-1] }}{{ 'abc'[None:2] }}",
    "{{ s.split(' ')|map('lower')|join('_') }}{{ (s|list)[:3] }}{{ ls|map('lower')|sort|first }}",
    "{% set x = [1, 2, 3] %}{{ x[0] ~ x[-1] }}{% set y = {'a': x} %}{{ y.a|length }}{{ y['a'][1] }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, b=2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, a=2) }}",
    "{% macro m() %}{{ caller() if caller is defined else 'none' }}{% endmacro %}{{ m() }}|{% call m() %}body{% endcall %}",
    "{% macro m(a, b) %}{{ a }}|{{ b }}|{{ b is defined }}{% endmacro %}{{ m(1) }} {{ m(b=2, a=3) }} {{ m.name }}{{ m.arguments }}",
    "{% macro m() %}x{% endmacro %}{% call m() %}y{% endcall %}",
    "{% macro m(a=n * 2, b=a + 1) %}{{ a }},{{ b }}{% endmacro %}{{ m() }} {{ m(1) }} {{ m(b=0) }}",
]


def add(out, case, outcome):
    if outcome is not None:
        out.append({**case, **outcome})


def main():
    out = []
    rng = random.Random(20261202)
    flags = [(True, True), (False, False), (True, False), (False, True)]
    for i in range(240):
        template = whitespace_case(rng)
        for trim, lstrip in flags:
            add(out, {"id": "ws-%d-%d%d" % (i, trim, lstrip), "template": template, "trim_blocks": trim, "lstrip_blocks": lstrip},
                render(template, trim, lstrip))
    for i in range(1500):
        template = "{{ " + expression(rng, rng.randint(1, 3)) + " }}"
        add(out, {"id": "expr-%d" % i, "template": template, "trim_blocks": True, "lstrip_blocks": True}, render(template))
    for i, template in enumerate(LANGUAGE):
        add(out, {"id": "lang-%d" % i, "template": template, "trim_blocks": True, "lstrip_blocks": True}, render(template))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"jinja2": jinja2.__version__, "variables": VARIABLES}, ensure_ascii=False) + "\n")
        for case in out:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(len(out), "cases")


main()
