package dev.akvq.template;

/**
 * The template raised on purpose: transformers' {@code raise_exception(message)} global, which
 * raises {@code jinja2.exceptions.TemplateError(message)}. The message is exactly the template's.
 */
public final class TemplateRaisedError extends TemplateException {
    public TemplateRaisedError(String message) {
        super(message);
    }
}
