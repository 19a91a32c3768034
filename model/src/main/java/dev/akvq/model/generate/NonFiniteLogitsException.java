package dev.akvq.model.generate;

/**
 * Logits holding NaN or infinity, found before a token was picked from them: after the prompt
 * ({@code generated} 0) or after {@code generated} tokens. The caller can run the prompt again
 * through a {@code NonFiniteTrace} to name the first intermediate that left the finite range.
 */
public final class NonFiniteLogitsException extends IllegalStateException {
    private final int generated;

    public NonFiniteLogitsException(int generated, int id, float value) {
        super("logits at " + (generated == 0 ? "the prompt's last position" : "generated token " + generated) + " are not finite (id "
                + id + " is " + value + ")");
        this.generated = generated;
    }

    /** Tokens generated before the non-finite logits. */
    public int generated() {
        return generated;
    }
}
