package dev.akvq.template;

import dev.akvq.template.Expr.Arguments;
import dev.akvq.template.Node.Target;
import dev.akvq.template.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Jinja2's parser (jinja2/parser.py, 3.1.2), producing {@link Node}s and {@link Expr}s, with the
 * extensions transformers loads: loopcontrols ({@code break}, {@code continue}) and its
 * {@code generation} tag. Precedence from loosest: inline if, or, and, not, comparisons and
 * in, + -, ~, * / // %, ** (left-associative, as in Jinja2), unary - +, then postfix
 * (.attr, [index], call) and filters/tests. Unknown filters and tests fail here, as Jinja2
 * fails them when it compiles.
 */
final class Parser {
    private static final int MAX_NESTING = 200;
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final SourceText source;
    private final List<Token> tokens;
    private int at;
    private int nesting;
    private int loopDepth;
    private final List<String> openBlocks = new ArrayList<>();

    private Parser(SourceText source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    static List<Node> parse(SourceText source, List<Token> tokens) {
        Parser p = new Parser(source, tokens);
        List<Node> body = p.subparse(Set.of());
        if (p.current().kind() != Kind.EOF) throw p.error("unexpected " + p.current().describe(), p.current());
        return body;
    }

    // ---- token stream ----------------------------------------------------------------------

    private Token current() {
        return tokens.get(at);
    }

    private Token peek() {
        return tokens.get(Math.min(at + 1, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.kind() != Kind.EOF) at++;
        return t;
    }

    private int line(Token t) {
        return source.line(t.pos());
    }

    private TemplateSyntaxError error(String problem, Token t) {
        return source.error(problem, t.pos());
    }

    private boolean skipOp(String op) {
        if (current().isOp(op)) { at++; return true; }
        return false;
    }

    private boolean skipName(String name) {
        if (current().isName(name)) { at++; return true; }
        return false;
    }

    private Token expectOp(String op) {
        if (!current().isOp(op)) throw error("expected '" + op + "', got " + current().describe(), current());
        return next();
    }

    private Token expectName() {
        if (current().kind() != Kind.NAME) throw error("expected a name, got " + current().describe(), current());
        return next();
    }

    private void expectName(String name) {
        if (!current().isName(name)) throw error("expected '" + name + "', got " + current().describe(), current());
        next();
    }

    private void expectBlockEnd() {
        if (current().kind() != Kind.BLOCK_END) throw error("expected end of statement block, got " + current().describe(), current());
        next();
    }

    private void enter(Token t) {
        if (++nesting > MAX_NESTING) throw error("the template nests deeper than " + MAX_NESTING + " levels", t);
    }

    // ---- statements ------------------------------------------------------------------------

    /** Nodes until a block tag whose name is in {@code endTokens} (left current) or the end. */
    private List<Node> subparse(Set<String> endTokens) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = current();
            switch (t.kind()) {
                case EOF -> {
                    if (!endTokens.isEmpty()) throw unclosed(t, endTokens);
                    return body;
                }
                case DATA -> {
                    body.add(new Node.Text(t.text()));
                    next();
                }
                case VARIABLE_BEGIN -> {
                    next();
                    body.add(new Node.Output(parseTuple(true, false, Set.of()), line(t)));
                    if (current().kind() != Kind.VARIABLE_END) throw error("expected end of print statement, got " + current().describe(), current());
                    next();
                }
                case BLOCK_BEGIN -> {
                    next();
                    Token tag = current();
                    if (tag.kind() == Kind.NAME && endTokens.contains(tag.text())) return body;
                    body.add(statement());
                }
                default -> throw error("unexpected " + t.describe(), t);
            }
        }
    }

    private TemplateSyntaxError unclosed(Token t, Set<String> endTokens) {
        String innermost = openBlocks.isEmpty() ? "" : " The innermost block that needs to be closed is '" + openBlocks.getLast() + "'.";
        return error("unexpected end of template: looking for " + String.join(" or ", endTokens.stream().sorted().map(s -> "'" + s + "'").toList())
                + "." + innermost, t);
    }

    /** The statements up to one of the end tags; the end tag's name is consumed, not its block end. */
    private List<Node> statements(String block, Set<String> endTokens) {
        expectBlockEnd();
        openBlocks.add(block);
        List<Node> body = subparse(endTokens);
        openBlocks.removeLast();
        return body;
    }

    private Node statement() {
        Token tag = current();
        if (tag.kind() != Kind.NAME) throw error("tag name expected", tag);
        enter(tag);
        try {
            return switch (tag.text()) {
                case "if" -> parseIf();
                case "for" -> parseFor();
                case "set" -> parseSet();
                case "macro" -> parseMacro();
                case "call" -> parseCallBlock();
                case "filter" -> parseFilterBlock();
                case "with" -> parseWith();
                case "print" -> {
                    next();
                    Node n = new Node.Output(parseTuple(true, false, Set.of()), line(tag));
                    expectBlockEnd();
                    yield n;
                }
                case "break", "continue" -> {
                    next();
                    if (loopDepth == 0) throw error("'" + tag.text() + "' outside of a loop", tag);
                    expectBlockEnd();
                    yield tag.text().equals("break") ? new Node.Break(line(tag)) : new Node.Continue(line(tag));
                }
                case "generation" -> scoped(tag, "generation", "endgeneration", false);
                case "autoescape" -> {
                    next();
                    parseExpression(true); // autoescape is off in transformers' environment; the body renders as written
                    List<Node> body = statements("autoescape", Set.of("endautoescape"));
                    next();
                    expectBlockEnd();
                    yield new Node.Scope(body, true);
                }
                case "block" -> parseBlock(tag);
                case "include", "import", "from", "extends" -> {
                    while (current().kind() != Kind.BLOCK_END && current().kind() != Kind.EOF) next();
                    expectBlockEnd();
                    yield new Node.NeedsLoader(tag.text(), line(tag));
                }
                default -> {
                    String hint = openBlocks.isEmpty() ? "" : " The innermost block that needs to be closed is '" + openBlocks.getLast() + "'.";
                    throw error("encountered unknown tag '" + tag.text() + "'." + hint, tag);
                }
            };
        } finally {
            nesting--;
        }
    }

    private Node scoped(Token tag, String name, String end, boolean newScope) {
        next();
        List<Node> body = statements(name, Set.of(end));
        next();
        expectBlockEnd();
        return new Node.Scope(body, newScope);
    }

    private Node parseBlock(Token tag) {
        next();
        expectName();
        while (skipName("scoped") || skipName("required")) { /* modifiers only */ }
        List<Node> body = statements("block", Set.of("endblock"));
        next();
        if (current().kind() == Kind.NAME) next();
        expectBlockEnd();
        return new Node.Scope(body, true);
    }

    private Node parseIf() {
        next();
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> otherwise = List.of();
        tests.add(parseTuple(false, false, Set.of()));
        bodies.add(statements("if", Set.of("elif", "else", "endif")));
        while (true) {
            Token t = next();
            if (t.isName("elif")) {
                tests.add(parseTuple(false, false, Set.of()));
                bodies.add(statements("if", Set.of("elif", "else", "endif")));
            } else if (t.isName("else")) {
                otherwise = statements("if", Set.of("endif"));
                next();
                break;
            } else {
                break;
            }
        }
        expectBlockEnd();
        return new Node.If(tests, bodies, otherwise);
    }

    private Node parseFor() {
        Token tag = next();
        Target target = parseAssignTarget(true, Set.of("in"));
        expectName("in");
        Expr iterable = parseTuple(false, false, Set.of("recursive"));
        Expr condition = skipName("if") ? parseExpression(true) : null;
        boolean recursive = skipName("recursive");
        loopDepth++;
        List<Node> body = statements("for", Set.of("endfor", "else"));
        loopDepth--;
        List<Node> otherwise = List.of();
        if (next().isName("else")) {
            otherwise = statements("for", Set.of("endfor"));
            next();
        }
        expectBlockEnd();
        return new Node.For(target, iterable, condition, recursive, body, otherwise, line(tag));
    }

    private Node parseSet() {
        Token tag = next();
        Target target = parseAssignTarget(true, Set.of());
        if (skipOp("=")) {
            Expr value = parseTuple(true, false, Set.of());
            expectBlockEnd();
            return new Node.Set(target, value, line(tag));
        }
        List<Expr.Filter> filters = new ArrayList<>();
        while (current().isOp("|")) filters.add((Expr.Filter) parseFilter(null, true));
        List<Node> body = statements("set", Set.of("endset"));
        next();
        expectBlockEnd();
        return new Node.SetBlock(target, filters, body, line(tag));
    }

    /** A name, {@code ns.attr} or a tuple of names, as a target of set/for/with. */
    private Target parseAssignTarget(boolean withTuple, Set<String> extraEnd) {
        if (current().kind() == Kind.NAME && peek().isOp(".")) {
            Token ns = next();
            next();
            Token attr = expectName();
            return new Target.NamespaceAttribute(ns.text(), attr.text());
        }
        List<Target> items = new ArrayList<>();
        boolean comma = false;
        boolean paren = skipOp("(");
        while (true) {
            if (!items.isEmpty() && !skipOp(",")) break;
            if (!items.isEmpty()) comma = true;
            if (current().kind() != Kind.NAME || extraEnd.contains(current().text()) || current().isOp(")")) {
                if (items.isEmpty()) throw error("can't assign to " + current().describe(), current());
                break;
            }
            if (current().isOp("(")) {
                items.add(parseAssignTarget(true, extraEnd));
            } else {
                Token name = next();
                if (Set.of("true", "false", "none", "True", "False", "None").contains(name.text()))
                    throw error("can't assign to '" + name.text() + "'", name);
                items.add(new Target.Variable(name.text()));
            }
            if (!withTuple) break;
        }
        if (paren) expectOp(")");
        return items.size() == 1 && !comma && !paren ? items.getFirst() : new Target.Unpack(items);
    }

    private Node parseMacro() {
        Token tag = next();
        String name = expectName().text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        int savedLoops = loopDepth, bodyStart = at;
        loopDepth = 0;
        List<Node> body = statements("macro", Set.of("endmacro"));
        loopDepth = savedLoops;
        Node.MacroSignature signature = signature(params, defaults, bodyStart, at);
        next();
        expectBlockEnd();
        return new Node.MacroDefinition(name, signature, body, line(tag));
    }

    /** The signature, with which special names the body's tokens {@code [from, to)} read. */
    private Node.MacroSignature signature(List<String> params, List<Expr> defaults, int from, int to) {
        boolean varargs = false, kwargs = false, caller = false;
        for (Token t : tokens.subList(from, to)) {
            if (t.kind() != Kind.NAME) continue;
            varargs |= t.text().equals("varargs");
            kwargs |= t.text().equals("kwargs");
            caller |= t.text().equals("caller");
        }
        return new Node.MacroSignature(List.copyOf(params), List.copyOf(defaults), varargs, kwargs, caller || params.contains("caller"));
    }

    /** {@code (a, b=default)}: a default for every parameter after the first one that has one. */
    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!current().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (current().isOp(")")) break;
            Token p = expectName();
            params.add(p.text());
            if (skipOp("=")) defaults.add(parseExpression(true));
            else if (!defaults.isEmpty()) throw error("non-default argument follows default argument", p);
        }
        expectOp(")");
    }

    private Node parseCallBlock() {
        Token tag = next();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (current().isOp("(")) parseSignature(params, defaults);
        Expr call = parseExpression(true);
        if (!(call instanceof Expr.Call c)) throw error("expected a call", tag);
        int savedLoops = loopDepth, bodyStart = at;
        loopDepth = 0;
        List<Node> body = statements("call", Set.of("endcall"));
        loopDepth = savedLoops;
        Node.MacroSignature signature = signature(params, defaults, bodyStart, at);
        next();
        expectBlockEnd();
        return new Node.CallBlock(c, signature, body, line(tag));
    }

    private Node parseFilterBlock() {
        Token tag = next();
        List<Expr.Filter> filters = new ArrayList<>();
        filters.add((Expr.Filter) parseFilter(null, false));
        while (current().isOp("|")) filters.add((Expr.Filter) parseFilter(null, true));
        List<Node> body = statements("filter", Set.of("endfilter"));
        next();
        expectBlockEnd();
        return new Node.FilterBlock(filters, body, line(tag));
    }

    private Node parseWith() {
        Token tag = next();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (current().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(false, Set.of()));
            expectOp("=");
            values.add(parseExpression(true));
        }
        List<Node> body = statements("with", Set.of("endwith"));
        next();
        expectBlockEnd();
        return new Node.With(targets, values, body, line(tag));
    }

    // ---- expressions -----------------------------------------------------------------------

    /**
     * Jinja2's parse_tuple: one expression, or a tuple when commas separate several. Without
     * explicit parentheses it ends at a block or print end and at {@code extraEnd} names.
     */
    private Expr parseTuple(boolean withCondexpr, boolean explicitParens, Set<String> extraEnd) {
        int lineNo = line(current());
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) expectOp(",");
            if (tupleEnds(extraEnd)) break;
            items.add(withCondexpr ? parseExpression(true) : parseOr());
            if (current().isOp(",")) comma = true;
            else break;
        }
        if (!comma) {
            if (!items.isEmpty()) return items.getFirst();
            if (!explicitParens) throw error("expected an expression, got " + current().describe(), current());
        }
        return new Expr.TupleLiteral(items, lineNo);
    }

    private boolean tupleEnds(Set<String> extraEnd) {
        Token t = current();
        return t.kind() == Kind.VARIABLE_END || t.kind() == Kind.BLOCK_END || t.kind() == Kind.EOF || t.isOp(")")
                || (t.kind() == Kind.NAME && extraEnd.contains(t.text()));
    }

    private Expr parseExpression(boolean withCondexpr) {
        Token t = current();
        enter(t);
        try {
            return withCondexpr ? parseConditional() : parseOr();
        } finally {
            nesting--;
        }
    }

    private Expr parseConditional() {
        Expr expr = parseOr();
        while (current().isName("if")) {
            int l = line(next());
            Expr test = parseOr();
            Expr otherwise = skipName("else") ? parseConditional() : null;
            expr = new Expr.Conditional(test, expr, otherwise, l);
        }
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (current().isName("or")) {
            int l = line(next());
            left = new Expr.Binary("or", left, parseAnd(), l);
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (current().isName("and")) {
            int l = line(next());
            left = new Expr.Binary("and", left, parseNot(), l);
        }
        return left;
    }

    private Expr parseNot() {
        if (current().isName("not")) {
            Token t = next();
            enter(t);
            try {
                return new Expr.Unary("not", parseNot(), line(t));
            } finally {
                nesting--;
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int l = line(current());
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = current();
            if (t.kind() == Kind.OPERATOR && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek().isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            operands.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, operands, l);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (current().isOp("+") || current().isOp("-")) {
            Token t = next();
            left = new Expr.Binary(t.text(), left, parseConcat(), line(t));
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (current().isOp("~")) {
            Token t = next();
            left = new Expr.Binary("~", left, parseMath2(), line(t));
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (current().isOp("*") || current().isOp("/") || current().isOp("//") || current().isOp("%")) {
            Token t = next();
            left = new Expr.Binary(t.text(), left, parsePow(), line(t));
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (current().isOp("**")) {
            Token t = next();
            left = new Expr.Binary("**", left, parseUnary(true), line(t));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = current();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            enter(t);
            try {
                node = new Expr.Unary(t.text(), parseUnary(false), line(t));
            } finally {
                nesting--;
            }
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) node = parseFilterExpr(node);
        return node;
    }

    private Expr parsePrimary() {
        Token t = current();
        int l = line(t);
        switch (t.kind()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Const(Boolean.TRUE, l);
                    case "false", "False" -> new Expr.Const(Boolean.FALSE, l);
                    case "none", "None" -> new Expr.Const(null, l);
                    default -> new Expr.Name(t.text(), l);
                };
            }
            case STRING -> {
                StringBuilder b = new StringBuilder();
                while (current().kind() == Kind.STRING) b.append((String) next().value());
                return new Expr.Const(b.toString(), l);
            }
            case INTEGER, FLOAT -> {
                next();
                return new Expr.Const(t.value(), l);
            }
            case OPERATOR -> {
                enter(t);
                try {
                    if (t.isOp("(")) {
                        next();
                        Expr e = parseTuple(true, true, Set.of());
                        expectOp(")");
                        return e;
                    }
                    if (t.isOp("[")) return parseList();
                    if (t.isOp("{")) return parseDict();
                } finally {
                    nesting--;
                }
            }
            default -> { }
        }
        throw error("unexpected " + t.describe(), t);
    }

    private Expr parseList() {
        int l = line(next());
        List<Expr> items = new ArrayList<>();
        while (!current().isOp("]")) {
            if (!items.isEmpty()) expectOp(",");
            if (current().isOp("]")) break;
            items.add(parseExpression(true));
        }
        expectOp("]");
        return new Expr.ListLiteral(items, l);
    }

    private Expr parseDict() {
        int l = line(next());
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!current().isOp("}")) {
            if (!keys.isEmpty()) expectOp(",");
            if (current().isOp("}")) break;
            keys.add(parseExpression(true));
            expectOp(":");
            values.add(parseExpression(true));
        }
        expectOp("}");
        return new Expr.DictLiteral(keys, values, l);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = current();
            if (t.isOp(".") || t.isOp("[")) node = parseSubscript(node);
            else if (t.isOp("(")) node = new Expr.Call(node, parseCallArgs(), line(t));
            else return node;
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = current();
            if (t.isOp("|")) node = parseFilter(node, true);
            else if (t.isName("is")) node = parseTest(node);
            else if (t.isOp("(")) node = new Expr.Call(node, parseCallArgs(), line(t));
            else return node;
        }
    }

    private Expr parseSubscript(Expr node) {
        Token t = next();
        int l = line(t);
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.kind() == Kind.NAME) return new Expr.GetAttr(node, attr.text(), l);
            if (attr.kind() == Kind.INTEGER) return new Expr.GetItem(node, new Expr.Const(attr.value(), l), l);
            throw error("expected name or number after '.', got " + attr.describe(), attr);
        }
        enter(t);
        try {
            List<Expr> args = new ArrayList<>();
            while (!current().isOp("]")) {
                if (!args.isEmpty()) {
                    expectOp(",");
                    if (current().isOp("]")) break;
                }
                args.add(parseSubscribed());
            }
            expectOp("]");
            if (args.isEmpty()) throw error("expected an index inside '[]'", t);
            Expr index = args.size() == 1 ? args.getFirst() : new Expr.TupleLiteral(args, l);
            return new Expr.GetItem(node, index, l);
        } finally {
            nesting--;
        }
    }

    private Expr parseSubscribed() {
        int l = line(current());
        Expr start = null;
        if (!current().isOp(":")) {
            start = parseExpression(true);
            if (!current().isOp(":")) return start;
        }
        next();
        Expr stop = current().isOp("]") || current().isOp(",") || current().isOp(":") ? null : parseExpression(true);
        Expr step = null;
        if (skipOp(":")) step = current().isOp("]") || current().isOp(",") ? null : parseExpression(true);
        return new Expr.Slice(start, stop, step, l);
    }

    private Arguments parseCallArgs() {
        Token open = expectOp("(");
        enter(open);
        try {
            List<Expr> positional = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<Expr> values = new ArrayList<>();
            Expr spread = null, keywordSpread = null;
            boolean first = true;
            while (!current().isOp(")")) {
                if (!first) {
                    expectOp(",");
                    if (current().isOp(")")) break;
                }
                first = false;
                Token t = current();
                if (t.isOp("*")) {
                    next();
                    spread = parseExpression(true);
                } else if (t.isOp("**")) {
                    next();
                    keywordSpread = parseExpression(true);
                } else if (t.kind() == Kind.NAME && peek().isOp("=")) {
                    next();
                    next();
                    names.add(t.text());
                    values.add(parseExpression(true));
                } else {
                    if (!names.isEmpty() || spread != null || keywordSpread != null)
                        throw error("positional argument after keyword or spread arguments", t);
                    positional.add(parseExpression(true));
                }
            }
            expectOp(")");
            return new Arguments(positional, names, values, spread, keywordSpread);
        } finally {
            nesting--;
        }
    }

    /** {@code | name(.name)* [(args)]}; {@code skipPipe} when the '|' is still current. */
    private Expr parseFilter(Expr value, boolean skipPipe) {
        if (skipPipe) expectOp("|");
        Token nameToken = expectName();
        StringBuilder name = new StringBuilder(nameToken.text());
        while (current().isOp(".")) {
            next();
            name.append('.').append(expectName().text());
        }
        if (!Filters.exists(name.toString())) throw error("no filter named '" + name + "'", nameToken);
        Arguments args = current().isOp("(") ? parseCallArgs() : Arguments.NONE;
        return new Expr.Filter(value, name.toString(), args, line(nameToken));
    }

    private Expr parseTest(Expr value) {
        Token is = next();
        boolean negated = skipName("not");
        Token nameToken = expectName();
        StringBuilder name = new StringBuilder(nameToken.text());
        while (current().isOp(".")) {
            next();
            name.append('.').append(expectName().text());
        }
        if (!Tests.exists(name.toString())) throw error("no test named '" + name + "'", nameToken);
        Arguments args = Arguments.NONE;
        Token t = current();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.kind() == Kind.NAME || t.kind() == Kind.STRING || t.kind() == Kind.INTEGER || t.kind() == Kind.FLOAT
                || t.isOp("[") || t.isOp("{")) && !(t.isName("else") || t.isName("or") || t.isName("and"))) {
            if (t.isName("is")) throw error("you cannot chain multiple tests with is", t);
            Expr arg = parsePostfix(parsePrimary());
            args = new Arguments(List.of(arg), List.of(), List.of(), null, null);
        }
        Expr test = new Expr.Test(value, name.toString(), args, line(is));
        return negated ? new Expr.Unary("not", test, line(is)) : test;
    }
}
