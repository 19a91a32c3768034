package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * A parsed template: immutable, and safe to render from several threads at once (each render
 * has its own state). Rendering throws only {@link TemplateException}s.
 */
public final class Template {
    private final TemplateEnvironment environment;
    private final List<Node> body;

    Template(TemplateEnvironment environment, List<Node> body) {
        this.environment = environment;
        this.body = body;
    }

    /** Renders with {@code variables} (copied as {@link PlainValues}) on top of the environment's globals. */
    public String render(Map<String, ?> variables) {
        Frame top = new Frame(null);
        for (Map.Entry<String, ?> e : variables.entrySet()) top.variables.put(e.getKey(), PlainValues.of(e.getValue()));
        try {
            return new Renderer(environment).render(body, top);
        } catch (TemplateException e) {
            throw e;
        } catch (StackOverflowError e) {
            throw new TemplateRuntimeError("the template recursed too deeply", 0);
        } catch (RuntimeException e) {
            // A bug of this engine, not of the template: still reported as a template error so
            // that a caller never sees a raw Java exception, and named so that it gets fixed.
            throw new TemplateRuntimeError("internal error: " + e, 0);
        }
    }
}
