package dev.akvq.template;

/**
 * Rendering failed: a type error, an undefined value used where Jinja2 raises, a sandbox or
 * limit violation. The message is Jinja2's or Python's where one exists, then the line.
 */
public final class TemplateRuntimeError extends TemplateException {
    private final String problem;
    private final int line;

    public TemplateRuntimeError(String problem, int line) {
        super(line > 0 ? problem + " (line " + line + ")" : problem);
        this.problem = problem;
        this.line = line;
    }

    /** The same problem located at {@code line}, for errors raised below the renderer. */
    static TemplateRuntimeError of(String problem) {
        return new TemplateRuntimeError(problem, 0);
    }

    TemplateRuntimeError atLine(int newLine) {
        return line > 0 || newLine <= 0 ? this : new TemplateRuntimeError(problem, newLine);
    }

    public String problem() {
        return problem;
    }

    public int line() {
        return line;
    }
}
