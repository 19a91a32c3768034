package dev.akvq.template;

/** A value with named attributes of its own: {@code loop}, a macro, a cycler, a joiner. */
interface HasAttributes {
    /** The attribute, or {@link Access#MISSING}. */
    Object attribute(String name);
}
