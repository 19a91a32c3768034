package dev.akvq.template;

/**
 * What one render may spend, so that a hostile template cannot hang or exhaust memory: the
 * characters of the output and of any string it builds, the items of any list it builds, the
 * depth of macro calls, and the iterations of all loops together. Exceeding one is a
 * {@link TemplateRuntimeError}. {@code range()} keeps Jinja2's sandbox limit of 100,000 items.
 */
public record Limits(long maxChars, long maxCallDepth, long maxLoopIterations) {
    /** 16 Mi characters (a 32 MiB string), macro calls 100 deep, 10 million loop iterations. */
    public static final Limits DEFAULT = new Limits(16L << 20, 100, 10_000_000);

    public Limits {
        if (maxChars <= 0 || maxCallDepth <= 0 || maxLoopIterations <= 0)
            throw new IllegalArgumentException("limits must be positive: " + maxChars + ", " + maxCallDepth + ", " + maxLoopIterations);
    }

    String checkString(long length, String value) {
        if (length > maxChars) throw TemplateRuntimeError.of("a string of " + length + " characters exceeds the limit of " + maxChars);
        return value;
    }

    String checkString(String value) {
        return checkString(value.length(), value);
    }

    void checkItems(long count) {
        if (count > maxChars) throw TemplateRuntimeError.of("a list of " + count + " items exceeds the limit of " + maxChars);
    }
}
