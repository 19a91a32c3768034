package dev.akvq.template;

import java.util.List;

/** An expression of the template language, as Jinja2's parser builds it; {@code line} is 1-based. */
sealed interface Expr {
    int line();

    record Const(Object value, int line) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record ListLiteral(List<Expr> items, int line) implements Expr {}

    record TupleLiteral(List<Expr> items, int line) implements Expr {}

    record DictLiteral(List<Expr> keys, List<Expr> values, int line) implements Expr {}

    /** {@code obj.name}: Python's attribute first, then the key. */
    record GetAttr(Expr obj, String name, int line) implements Expr {}

    /** {@code obj[index]}: the key or index first, then the attribute. */
    record GetItem(Expr obj, Expr index, int line) implements Expr {}

    /** {@code start:stop:step} inside brackets; any part may be null. */
    record Slice(Expr start, Expr stop, Expr step, int line) implements Expr {}

    record Call(Expr function, Arguments args, int line) implements Expr {}

    /** {@code value | name(args)}; {@code value} is null in a filter block's chain. */
    record Filter(Expr value, String name, Arguments args, int line) implements Expr {}

    record Test(Expr value, String name, Arguments args, int line) implements Expr {}

    /** {@code not}, unary {@code -} and {@code +}. */
    record Unary(String op, Expr operand, int line) implements Expr {}

    /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    /** {@code a < b <= c}: Python's chained comparison; ops include "in" and "notin". */
    record Compare(Expr first, List<String> ops, List<Expr> operands, int line) implements Expr {}

    /** {@code then if test else otherwise}; without else, a false test gives undefined. */
    record Conditional(Expr test, Expr then, Expr otherwise, int line) implements Expr {}

    /** Call arguments: positional, keyword, and the {@code *args} and {@code **kwargs} spreads. */
    record Arguments(List<Expr> positional, List<String> keywordNames, List<Expr> keywordValues, Expr spread,
            Expr keywordSpread) {
        static final Arguments NONE = new Arguments(List.of(), List.of(), List.of(), null, null);
    }
}
