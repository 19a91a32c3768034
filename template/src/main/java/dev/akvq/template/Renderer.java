package dev.akvq.template;

import dev.akvq.template.Node.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks a parsed template for one render: statements write to the current output, expressions
 * evaluate to plain values with Python's semantics. Holds the counters behind {@link Limits}.
 * One instance per render; not shared between threads.
 */
final class Renderer {
    enum Flow { NORMAL, BREAK, CONTINUE }

    private final TemplateEnvironment environment;
    final Limits limits;
    private StringBuilder out = new StringBuilder();
    private int callDepth;
    private long iterations;

    Renderer(TemplateEnvironment environment) {
        this.environment = environment;
        this.limits = environment.limits();
    }

    String render(List<Node> body, Frame top) {
        renderNodes(body, top);
        return out.toString();
    }

    // ---- statements ------------------------------------------------------------------------

    Flow renderNodes(List<Node> nodes, Frame frame) {
        for (Node node : nodes) {
            Flow flow = renderNode(node, frame);
            if (flow != Flow.NORMAL) return flow;
        }
        return Flow.NORMAL;
    }

    private Flow renderNode(Node node, Frame frame) {
        switch (node) {
            case Node.Text t -> write(t.text());
            case Node.Output o -> write(Py.str(eval(o.value(), frame)));
            case Node.If n -> {
                for (int i = 0; i < n.tests().size(); i++) {
                    if (Py.truthy(eval(n.tests().get(i), frame))) return renderNodes(n.bodies().get(i), frame);
                }
                return renderNodes(n.otherwise(), frame);
            }
            case Node.For f -> renderFor(f, frame);
            case Node.Set s -> assign(s.target(), eval(s.value(), frame), frame, s.line());
            case Node.SetBlock s -> {
                Object value = capture(s.body(), new Frame(frame));
                for (Expr.Filter filter : s.filters()) value = applyFilter(filter, value, frame);
                assign(s.target(), value, frame, s.line());
            }
            case Node.MacroDefinition m -> frame.variables.put(m.name(), new Macro(m.name(), m.signature(), m.body(), frame, this));
            case Node.CallBlock c -> {
                Macro caller = new Macro("caller", c.signature(), c.body(), frame, this);
                write(Py.str(call(c.call(), frame, caller)));
            }
            case Node.FilterBlock fb -> {
                Object value = capture(fb.body(), new Frame(frame));
                for (Expr.Filter filter : fb.filters()) value = applyFilter(filter, value, frame);
                write(Py.str(value));
            }
            case Node.With w -> {
                Frame inner = new Frame(frame);
                for (int i = 0; i < w.targets().size(); i++) assign(w.targets().get(i), eval(w.values().get(i), frame), inner, w.line());
                return renderNodes(w.body(), inner);
            }
            case Node.Scope s -> {
                return renderNodes(s.body(), s.newScope() ? new Frame(frame) : frame);
            }
            case Node.Break b -> {
                return Flow.BREAK;
            }
            case Node.Continue c -> {
                return Flow.CONTINUE;
            }
            case Node.NeedsLoader n -> throw new TemplateRuntimeError("'" + n.tag() + "' needs a template loader, and chat templates have none", n.line());
        }
        return Flow.NORMAL;
    }

    private void write(String text) {
        if ((long) out.length() + text.length() > limits.maxChars())
            throw TemplateRuntimeError.of("the output exceeds the limit of " + limits.maxChars() + " characters");
        out.append(text);
    }

    /** Renders {@code body} into a string of its own (macro, set block, filter block). */
    String capture(List<Node> body, Frame frame) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            renderNodes(body, frame);
            return out.toString();
        } finally {
            out = saved;
        }
    }

    private void renderFor(Node.For f, Frame frame) {
        List<Object> items;
        try {
            items = loopItems(f, eval(f.iterable(), frame), frame);
        } catch (TemplateRuntimeError e) {
            throw e.atLine(f.line());
        }
        renderLoop(f, items, frame, 0);
    }

    private List<Object> loopItems(Node.For f, Object iterable, Frame frame) {
        List<Object> items = Operators.iterate(iterable);
        if (f.condition() == null) return items;
        List<Object> kept = new ArrayList<>();
        for (Object item : items) {
            countIteration();
            Frame inner = new Frame(frame);
            assign(f.target(), item, inner, f.line());
            if (Py.truthy(eval(f.condition(), inner))) kept.add(item);
        }
        return kept;
    }

    private void renderLoop(Node.For f, List<Object> items, Frame frame, int depth0) {
        TemplateFunction recurse = !f.recursive() ? null : (args, kw) -> {
            if (args.size() != 1) throw TemplateRuntimeError.of("loop() takes exactly one argument");
            enterCall();
            try {
                StringBuilder saved = out;
                out = new StringBuilder();
                try {
                    renderLoop(f, loopItems(f, args.getFirst(), frame), frame, depth0 + 1);
                    return out.toString();
                } finally {
                    out = saved;
                }
            } finally {
                callDepth--;
            }
        };
        LoopContext loop = new LoopContext(items, depth0, recurse);
        for (int i = 0; i < items.size(); i++) {
            countIteration();
            loop.index0 = i;
            Frame inner = new Frame(frame);
            assign(f.target(), items.get(i), inner, f.line());
            inner.variables.put("loop", loop);
            if (renderNodes(f.body(), inner) == Flow.BREAK) break;
        }
        if (items.isEmpty()) renderNodes(f.otherwise(), new Frame(frame));
    }

    private void countIteration() {
        if (++iterations > limits.maxLoopIterations())
            throw TemplateRuntimeError.of("the loops ran more than " + limits.maxLoopIterations() + " iterations");
    }

    private void enterCall() {
        if (++callDepth > limits.maxCallDepth()) {
            callDepth--;
            throw TemplateRuntimeError.of("maximum recursion depth exceeded (" + limits.maxCallDepth() + " nested macro calls)");
        }
    }

    private void assign(Target target, Object value, Frame frame, int line) {
        switch (target) {
            case Target.Variable v -> frame.variables.put(v.name(), value);
            case Target.Unpack u -> {
                if (value instanceof Undefined un) throw un.error().atLine(line);
                List<Object> items;
                try {
                    items = Operators.iterate(value);
                } catch (TemplateRuntimeError e) {
                    throw new TemplateRuntimeError("cannot unpack non-iterable " + Py.typeName(value) + " object", line);
                }
                int n = u.items().size();
                if (items.size() > n) throw new TemplateRuntimeError("too many values to unpack (expected " + n + ")", line);
                if (items.size() < n) throw new TemplateRuntimeError("not enough values to unpack (expected " + n + ", got " + items.size() + ")", line);
                for (int i = 0; i < n; i++) assign(u.items().get(i), items.get(i), frame, line);
            }
            case Target.NamespaceAttribute a -> {
                Object ns = lookup(a.name(), frame);
                if (!(ns instanceof Namespace namespace)) throw new TemplateRuntimeError("cannot assign attribute on non-namespace object", line);
                namespace.attributes.put(a.attribute(), value);
            }
        }
    }

    /** Jinja2's Macro.__call__ (runtime.py, 3.1.2): binds the arguments, then renders the body in a new scope. */
    Object callMacro(Macro m, List<Object> args, Map<String, Object> kwargs) {
        Node.MacroSignature s = m.signature;
        List<String> params = s.params();
        Map<String, Object> kw = new LinkedHashMap<>(kwargs);
        if (args.size() > params.size() && !s.catchVarargs())
            throw TemplateRuntimeError.of("macro '" + m.name() + "' takes not more than " + params.size() + " argument(s)");
        enterCall();
        try {
            Frame f = new Frame(m.closure);
            int firstDefault = params.size() - s.defaults().size();
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (kw.containsKey(p)) {
                    v = kw.remove(p);
                } else if (i >= firstDefault) {
                    v = eval(s.defaults().get(i - firstDefault), f);
                } else {
                    v = new Undefined("parameter '" + p + "' was not provided");
                }
                f.variables.put(p, v);
            }
            if (s.usesCaller() && !params.contains("caller")) {
                Object caller = kw.remove("caller");
                f.variables.put("caller", caller != null ? caller : new Undefined("No caller defined"));
            }
            if (!s.catchKwargs() && !kw.isEmpty()) {
                String first = kw.keySet().iterator().next();
                throw TemplateRuntimeError.of(kw.containsKey("caller")
                        ? "macro '" + m.name() + "' was invoked with two values for the special caller argument. This is most likely a bug."
                        : "macro '" + m.name() + "' takes no keyword argument '" + first + "'");
            }
            f.variables.put("varargs", Tuple.of(args.size() > params.size() ? args.subList(params.size(), args.size()) : List.of()));
            f.variables.put("kwargs", kw);
            return capture(m.body, f);
        } finally {
            callDepth--;
        }
    }

    // ---- expressions -----------------------------------------------------------------------

    private Object lookup(String name, Frame frame) {
        Object v = frame.lookup(name);
        if (v != Access.MISSING) return v;
        Map<String, Object> globals = environment.globals();
        if (globals.containsKey(name)) return globals.get(name);
        return Undefined.named(name);
    }

    Object eval(Expr e, Frame frame) {
        try {
            return evaluate(e, frame);
        } catch (TemplateRuntimeError err) {
            throw err.atLine(e.line());
        }
    }

    private Object evaluate(Expr e, Frame frame) {
        switch (e) {
            case Expr.Const c -> {
                return c.value();
            }
            case Expr.Name n -> {
                return lookup(n.name(), frame);
            }
            case Expr.ListLiteral l -> {
                List<Object> items = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) items.add(eval(item, frame));
                return items;
            }
            case Expr.TupleLiteral t -> {
                Object[] items = new Object[t.items().size()];
                for (int i = 0; i < items.length; i++) items[i] = eval(t.items().get(i), frame);
                return new Tuple(items);
            }
            case Expr.DictLiteral d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object key = eval(d.keys().get(i), frame);
                    if (key instanceof List<?> && !(key instanceof Tuple) || key instanceof Map<?, ?> || key instanceof Namespace)
                        throw TemplateRuntimeError.of("unhashable type: '" + Py.typeName(key) + "'");
                    map.put(key, eval(d.values().get(i), frame));
                }
                return map;
            }
            case Expr.GetAttr g -> {
                return Access.getAttr(eval(g.obj(), frame), g.name());
            }
            case Expr.GetItem g -> {
                Object obj = eval(g.obj(), frame);
                if (g.index() instanceof Expr.Slice s) {
                    if (obj instanceof Undefined u) throw u.error();
                    return Operators.slice(obj, evalOrNull(s.start(), frame), evalOrNull(s.stop(), frame), evalOrNull(s.step(), frame));
                }
                return Access.getItem(obj, eval(g.index(), frame));
            }
            case Expr.Slice s -> throw TemplateRuntimeError.of("a slice outside of brackets");
            case Expr.Call c -> {
                return call(c, frame, null);
            }
            case Expr.Filter f -> {
                return applyFilter(f, eval(f.value(), frame), frame);
            }
            case Expr.Test t -> {
                Object value = eval(t.value(), frame);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArguments(t.args(), frame, args, kwargs);
                return Tests.apply(t.name(), value, new CallArgs(t.name(), args, kwargs), this);
            }
            case Expr.Unary u -> {
                Object v = eval(u.operand(), frame);
                return switch (u.op()) {
                    case "not" -> !Py.truthy(v);
                    case "-" -> Operators.negate(v);
                    default -> Operators.plus(v);
                };
            }
            case Expr.Binary b -> {
                Object left = eval(b.left(), frame);
                switch (b.op()) {
                    case "and" -> {
                        return Py.truthy(left) ? eval(b.right(), frame) : left;
                    }
                    case "or" -> {
                        return Py.truthy(left) ? left : eval(b.right(), frame);
                    }
                    case "~" -> {
                        String l = Py.str(left), r = Py.str(eval(b.right(), frame));
                        return limits.checkString((long) l.length() + r.length(), l + r);
                    }
                    default -> {
                        return Operators.binary(b.op(), left, eval(b.right(), frame), limits);
                    }
                }
            }
            case Expr.Compare c -> {
                Object left = eval(c.first(), frame);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.operands().get(i), frame);
                    if (!compare(c.ops().get(i), left, right)) return false;
                    left = right;
                }
                return true;
            }
            case Expr.Conditional c -> {
                if (Py.truthy(eval(c.test(), frame))) return eval(c.then(), frame);
                if (c.otherwise() != null) return eval(c.otherwise(), frame);
                return new Undefined("the inline if-expression on line " + c.line() + " evaluated to false and no else section was defined.");
            }
        }
    }

    private Object evalOrNull(Expr e, Frame frame) {
        return e == null ? null : eval(e, frame);
    }

    static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "in" -> Operators.contains(b, a);
            case "notin" -> !Operators.contains(b, a);
            case "<" -> Py.compare(a, b, op) == -1;
            case "<=" -> { int c = Py.compare(a, b, op); yield c == -1 || c == 0; }
            case ">" -> Py.compare(a, b, op) == 1;
            case ">=" -> { int c = Py.compare(a, b, op); yield c == 1 || c == 0; }
            default -> throw new IllegalStateException(op);
        };
    }

    private Object call(Expr.Call c, Frame frame, Macro caller) {
        Object function = eval(c.function(), frame);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArguments(c.args(), frame, args, kwargs);
        if (caller != null) kwargs.put("caller", caller);
        if (function instanceof Undefined u) throw u.error();
        if (!(function instanceof TemplateFunction f)) throw TemplateRuntimeError.of("'" + Py.typeName(function) + "' object is not callable");
        return f.call(args, kwargs);
    }

    private void evalArguments(Expr.Arguments a, Frame frame, List<Object> args, Map<String, Object> kwargs) {
        for (Expr e : a.positional()) args.add(eval(e, frame));
        if (a.spread() != null) args.addAll(Operators.iterate(eval(a.spread(), frame)));
        for (int i = 0; i < a.keywordNames().size(); i++) kwargs.put(a.keywordNames().get(i), eval(a.keywordValues().get(i), frame));
        if (a.keywordSpread() != null) {
            Object spread = eval(a.keywordSpread(), frame);
            if (!(spread instanceof Map<?, ?> m)) throw TemplateRuntimeError.of("argument after ** must be a mapping, not " + Py.typeName(spread));
            for (Map.Entry<?, ?> entry : m.entrySet()) {
                if (!(entry.getKey() instanceof String k)) throw TemplateRuntimeError.of("keywords must be strings");
                kwargs.put(k, entry.getValue());
            }
        }
    }

    private Object applyFilter(Expr.Filter f, Object value, Frame frame) {
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArguments(f.args(), frame, args, kwargs);
        try {
            return Filters.apply(f.name(), value, new CallArgs(f.name(), args, kwargs), this);
        } catch (TemplateRuntimeError e) {
            throw e.atLine(f.line());
        }
    }
}
