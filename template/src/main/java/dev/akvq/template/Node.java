package dev.akvq.template;

import java.util.List;

/** A statement of the template: text, output, or a tag with its body. */
sealed interface Node {

    record Text(String text) implements Node {}

    record Output(Expr value, int line) implements Node {}

    record If(List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise) implements Node {}

    record For(Target target, Expr iterable, Expr condition, boolean recursive, List<Node> body, List<Node> otherwise,
            int line) implements Node {}

    record Set(Target target, Expr value, int line) implements Node {}

    /** {@code {% set x | filters %}body{% endset %}}; filters hold null as their value. */
    record SetBlock(Target target, List<Expr.Filter> filters, List<Node> body, int line) implements Node {}

    record MacroDefinition(String name, MacroSignature signature, List<Node> body, int line) implements Node {}

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: the body becomes {@code caller}. */
    record CallBlock(Expr.Call call, MacroSignature signature, List<Node> body, int line) implements Node {}

    /**
     * A macro's parameters and defaults, and whether its body reads {@code varargs},
     * {@code kwargs} or {@code caller}: only then does it accept extra positional or keyword
     * arguments, or a caller, as Jinja2's Macro does.
     */
    record MacroSignature(List<String> params, List<Expr> defaults, boolean catchVarargs, boolean catchKwargs, boolean usesCaller) {}

    record FilterBlock(List<Expr.Filter> filters, List<Node> body, int line) implements Node {}

    record With(List<Target> targets, List<Expr> values, List<Node> body, int line) implements Node {}

    /** A body rendered in place: {@code generation}, {@code autoescape}, {@code block}. */
    record Scope(List<Node> body, boolean newScope) implements Node {}

    record Break(int line) implements Node {}

    record Continue(int line) implements Node {}

    /** A tag that needs a template loader ({@code include}, {@code import}, {@code extends}): fails when reached. */
    record NeedsLoader(String tag, int line) implements Node {}

    /** The left side of an assignment. */
    sealed interface Target {
        record Variable(String name) implements Target {}

        record Unpack(List<Target> items) implements Target {}

        /** {@code ns.attr}: only on a namespace. */
        record NamespaceAttribute(String name, String attribute) implements Target {}
    }
}
