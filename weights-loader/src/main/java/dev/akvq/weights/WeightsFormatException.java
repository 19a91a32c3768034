package dev.akvq.weights;

/**
 * The one exception this module throws for a file it cannot accept: a malformed safetensors
 * file, a checkpoint directory without weights, a JSON syntax error, a config field out of
 * range. Unchecked, because a caller can do nothing with a broken checkpoint except report it;
 * the message always names the file (and the tensor, field, or line and column) and says what
 * was expected and what was found.
 */
public class WeightsFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WeightsFormatException(String message) {
        super(message);
    }

    public WeightsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
