package dev.akvq.weights.config;

import dev.akvq.weights.WeightsFormatException;

/**
 * A config value a record constructor rejects. It names the field as config.json spells it
 * ({@code num_key_value_heads}); the loaders catch it and rethrow with the file and the field's
 * full path ({@code config.json: field "text_config.num_key_value_heads": ...}).
 */
public final class ConfigFieldException extends WeightsFormatException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    public ConfigFieldException(String field, String problem) {
        super("field \"" + field + "\": " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** The field as config.json names it, relative to the object that holds it. */
    public String field() {
        return field;
    }

    /** What is wrong, without the field name. */
    public String problem() {
        return problem;
    }
}
