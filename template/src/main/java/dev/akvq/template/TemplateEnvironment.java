package dev.akvq.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings a template is parsed and rendered with: Jinja2's {@code trim_blocks} and
 * {@code lstrip_blocks}, the globals every render sees (Jinja2's defaults plus any added), and
 * the {@link Limits}. Autoescaping is off, as in transformers' environment.
 */
public record TemplateEnvironment(boolean trimBlocks, boolean lstripBlocks, Map<String, Object> globals, Limits limits) {

    public TemplateEnvironment {
        Map<String, Object> all = new LinkedHashMap<>(Globals.builtins());
        for (Map.Entry<String, Object> e : globals.entrySet()) all.put(e.getKey(), PlainValues.of(e.getValue()));
        globals = Collections.unmodifiableMap(all);
        if (limits == null) throw new IllegalArgumentException("limits must not be null");
    }

    /** Jinja2's own defaults: no trimming, the builtin globals, default limits. */
    public static TemplateEnvironment jinjaDefaults() {
        return new TemplateEnvironment(false, false, Map.of(), Limits.DEFAULT);
    }

    /** Parses {@code source}; a template that does not parse fails here with its line and column. */
    public Template parse(String source) {
        SourceText text = new SourceText(source);
        return new Template(this, Parser.parse(text, Lexer.tokenize(text, trimBlocks, lstripBlocks)));
    }
}
