package dev.akvq.image;

/**
 * The one exception this module throws for an image or a preprocessor config it cannot accept:
 * not an image, a truncated or corrupt file, a decompression bomb, an unsupported variant, a
 * config field out of range, an image the processor's algorithm cannot handle. The message
 * always names the file (or field) and says what was expected and what was found.
 */
public class ImageFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageFormatException(String message) {
        super(message);
    }

    public ImageFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
