package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * Something a template can call: a global ({@code range}, {@code raise_exception}), a macro, a
 * bound method of a plain value, {@code loop.cycle}. Arguments are plain values.
 */
@FunctionalInterface
public interface TemplateFunction {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
