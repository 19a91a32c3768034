package dev.akvq.template;

/**
 * One lexical token. {@code value} is the decoded literal for strings (String), integers (Long)
 * and floats (Double), the text otherwise; {@code pos} is the offset in the normalized source.
 */
record Token(Kind kind, String text, Object value, int pos) {
    enum Kind { DATA, VARIABLE_BEGIN, VARIABLE_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isName(String t) {
        return kind == Kind.NAME && text.equals(t);
    }

    boolean isOp(String t) {
        return kind == Kind.OPERATOR && text.equals(t);
    }

    /** How an error message shows this token, as Jinja2's describe_token does. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of template";
            case BLOCK_END -> "end of statement block";
            case VARIABLE_END -> "end of print statement";
            case BLOCK_BEGIN -> "begin of statement block";
            case VARIABLE_BEGIN -> "begin of print statement";
            case DATA -> "template data";
            case NAME, OPERATOR -> "'" + text + "'";
            default -> kind.name().toLowerCase() + " " + text;
        };
    }
}
