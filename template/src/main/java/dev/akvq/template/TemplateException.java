package dev.akvq.template;

/**
 * Every failure of parsing or rendering a template; nothing else escapes {@link Template}.
 * Subclasses say whether the template does not parse, failed while rendering, or raised on
 * purpose (transformers' {@code raise_exception}).
 */
public abstract sealed class TemplateException extends RuntimeException
        permits TemplateSyntaxError, TemplateRuntimeError, TemplateRaisedError {
    TemplateException(String message) {
        super(message, null, false, false);
    }
}
