package dev.akvq.template;

/**
 * Jinja2's default {@code Undefined}: a missing variable, key, attribute or index. It prints as
 * nothing, is false, iterates as empty, has length 0 and equals only another undefined; doing
 * anything else with it (arithmetic, ordering, attribute or item access, calling) raises with
 * {@link #message()}. An unsafe attribute in the sandbox is an undefined that raises its own
 * message. The message is built only when needed: templates probe missing keys all the time.
 */
final class Undefined {
    private final String fixedMessage;
    private final Object owner;
    private final Object key;

    Undefined(String message) {
        this(message, null, null);
    }

    private Undefined(String fixedMessage, Object owner, Object key) {
        this.fixedMessage = fixedMessage;
        this.owner = owner;
        this.key = key;
    }

    static Undefined named(String name) {
        return new Undefined(null, null, name);
    }

    /** A missing attribute or key of {@code owner}, with Jinja2's message. */
    static Undefined missing(Object owner, Object key) {
        return new Undefined(null, owner == null ? NONE : owner, key);
    }

    private static final Object NONE = new Object();

    String message() {
        if (fixedMessage != null) return fixedMessage;
        if (owner == null) return Py.repr(key) + " is undefined";
        Object o = owner == NONE ? null : owner;
        if (key instanceof String s) return Py.repr(Py.objectTypeRepr(o)) + " has no attribute " + Py.repr(s);
        return Py.objectTypeRepr(o) + " has no element " + Py.repr(key);
    }

    TemplateRuntimeError error() {
        return TemplateRuntimeError.of(message());
    }
}
