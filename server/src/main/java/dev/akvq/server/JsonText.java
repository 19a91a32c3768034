package dev.akvq.server;

import dev.akvq.weights.json.Json;

/**
 * Writes one JSON document (RFC 8259) left to right: the server's responses, chunks and errors.
 * Commas are placed by the writer, strings escaped as RFC 8259 section 7 requires (control
 * characters, quote, backslash; lone surrogates as {@code \\uXXXX} escapes so the output is
 * always valid UTF-8), numbers written in their shortest exact form.
 */
final class JsonText {
    private final StringBuilder out = new StringBuilder();
    /** True right after an opening bracket or a key: the next value needs no comma. */
    private boolean first = true;

    JsonText beginObject() {
        separate();
        out.append('{');
        first = true;
        return this;
    }

    JsonText endObject() {
        out.append('}');
        first = false;
        return this;
    }

    JsonText beginArray() {
        separate();
        out.append('[');
        first = true;
        return this;
    }

    JsonText endArray() {
        out.append(']');
        first = false;
        return this;
    }

    /** A member's name; its value follows. */
    JsonText key(String name) {
        separate();
        quote(name);
        out.append(':');
        first = true;
        return this;
    }

    JsonText value(String s) {
        separate();
        if (s == null) out.append("null");
        else quote(s);
        return this;
    }

    JsonText value(long v) {
        separate();
        out.append(v);
        return this;
    }

    /** A finite double; NaN and infinities (which JSON cannot hold) become null. */
    JsonText value(double v) {
        separate();
        out.append(Double.isFinite(v) ? Double.toString(v) : "null");   // "1.0E-5" is a JSON number
        return this;
    }

    JsonText value(boolean v) {
        separate();
        out.append(v);
        return this;
    }

    JsonText nullValue() {
        separate();
        out.append("null");
        return this;
    }

    JsonText field(String name, String v) {
        return key(name).value(v);
    }

    JsonText field(String name, long v) {
        return key(name).value(v);
    }

    JsonText field(String name, double v) {
        return key(name).value(v);
    }

    JsonText field(String name, boolean v) {
        return key(name).value(v);
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void separate() {
        if (!first) out.append(',');
        first = false;
    }

    /** A JSON string literal as weights-loader's {@link Json#quote} writes it (lone surrogates escaped). */
    private void quote(String s) {
        out.append(Json.quote(s));
    }
}
