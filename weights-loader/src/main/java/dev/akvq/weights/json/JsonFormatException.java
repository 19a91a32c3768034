package dev.akvq.weights.json;

import dev.akvq.weights.WeightsFormatException;

/**
 * A JSON text that is not strict RFC 8259 JSON, or not valid UTF-8. The message reads
 * {@code source:line:column: what was expected, found what}; line and column are 1-based and
 * count UTF-16 code units, as an editor's status bar does for text outside the astral planes.
 */
public final class JsonFormatException extends WeightsFormatException {
    private static final long serialVersionUID = 1L;

    private final String sourceName;
    private final int line;
    private final int column;

    JsonFormatException(String sourceName, int line, int column, String problem) {
        super(sourceName + ":" + line + ":" + column + ": " + problem);
        this.sourceName = sourceName;
        this.line = line;
        this.column = column;
    }

    JsonFormatException(String sourceName, String problem, Throwable cause) {
        super(sourceName + ": " + problem, cause);
        this.sourceName = sourceName;
        this.line = 0;
        this.column = 0;
    }

    public String sourceName() {
        return sourceName;
    }

    /** 1-based line of the offending character; 0 when the problem is not at one place (encoding, size). */
    public int line() {
        return line;
    }

    /** 1-based column of the offending character; 0 when the problem is not at one place. */
    public int column() {
        return column;
    }
}
