package dev.akvq.template;

/** The template does not parse: the message ends with the 1-based line and column. */
public final class TemplateSyntaxError extends TemplateException {
    private final String problem;
    private final int line;
    private final int column;

    public TemplateSyntaxError(String problem, int line, int column) {
        super(problem + " (line " + line + ", column " + column + ")");
        this.problem = problem;
        this.line = line;
        this.column = column;
    }

    public String problem() {
        return problem;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
