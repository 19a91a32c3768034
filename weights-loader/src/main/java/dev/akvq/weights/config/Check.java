package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.function.Supplier;

/** Validation helpers shared by the config records' constructors. */
final class Check {
    private Check() {
    }

    static void positive(String field, long value) {
        if (value <= 0) throw new ConfigFieldException(field, "must be positive, found " + value);
    }

    static void positiveFinite(String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ConfigFieldException(field, "must be a positive finite number, found " + value);
        }
    }

    static void nonEmpty(String field, String value) {
        if (value == null || value.isEmpty()) throw new ConfigFieldException(field, "must be a non-empty string");
    }

    static void divides(String divisorField, int divisor, String field, int value) {
        if (divisor <= 0 || value % divisor != 0) {
            throw new ConfigFieldException(divisorField, "= " + divisor + " must divide " + field + " = " + value);
        }
    }

    /**
     * Runs a record constructor on values read from {@code source}, turning its
     * ConfigFieldException into one that names the file and the full field path.
     */
    static <T> T in(JsonObject source, Supplier<T> build) {
        try {
            return build.get();
        } catch (ConfigFieldException e) {
            throw source.fieldError(e.field(), e.problem());
        }
    }
}
