package dev.akvq.template;

/**
 * Jinja2's default {@code Undefined}: a missing variable, key, attribute or index. It prints as
 * nothing, is false, iterates as empty, has length 0 and equals only another undefined; doing
 * anything else with it (arithmetic, ordering, attribute or item access, calling) raises with
 * {@link #message()}. An unsafe attribute in the sandbox is an undefined that raises its own message.
 */
record Undefined(String message) {
    static Undefined named(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    /** Jinja2's message for a missing attribute or key of {@code owner}. */
    static Undefined missing(Object owner, Object key) {
        if (key instanceof String s) return new Undefined(Py.repr(Py.objectTypeRepr(owner)) + " has no attribute " + Py.repr(s));
        return new Undefined(Py.objectTypeRepr(owner) + " has no element " + Py.repr(key));
    }

    TemplateRuntimeError error() {
        return TemplateRuntimeError.of(message);
    }
}
