package dev.akvq.weights.json;

import java.util.Objects;
import java.util.Optional;

/**
 * A JSON number as written. The parser only builds it from text matching RFC 8259's grammar
 * ({@code -? int frac? exp?}), so the conversions below never see anything else.
 */
public record JsonNumber(String text) implements JsonValue {
    public JsonNumber {
        Objects.requireNonNull(text, "text");
    }

    /** True when written without fraction or exponent: Python's json reads such a literal as an int. */
    public boolean isIntegerLiteral() {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.' || c == 'e' || c == 'E') return false;
        }
        return true;
    }

    /** The value as a long, when it is an integer literal within long's range. */
    public Optional<Long> longValueExact() {
        // 19 digits plus a sign is the longest literal that can fit; longer ones must not reach
        // Long.parseLong, whose NumberFormatException would escape as the wrong kind of error.
        if (!isIntegerLiteral() || text.length() > 20) return Optional.empty();
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException overflow) {
            return Optional.empty();
        }
    }

    /** The value as an int, when it is an integer literal within int's range. */
    public Optional<Integer> intValueExact() {
        return longValueExact().filter(v -> v == (int) (long) v).map(Long::intValue);
    }

    /**
     * The nearest double (one rounding, as Python's float()). A literal beyond double's range
     * gives an infinity; callers that need a finite value check for it.
     */
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    @Override
    public String describe() {
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return "the number " + shown;
    }
}
