package dev.akvq.cli;

import dev.akvq.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Prints generated text as tokens arrive. Each step decodes everything generated so far and
 * prints what is new; while the text ends in U+FFFD (a token whose bytes stop mid-character)
 * nothing is printed until the character is whole, or generation ends.
 */
final class TextStream {
    private final Tokenizer tokenizer;
    private final PrintStream out;
    private int[] ids = new int[16];
    private int count;
    private int printed;

    TextStream(Tokenizer tokenizer, PrintStream out) {
        this.tokenizer = tokenizer;
        this.out = out;
    }

    void add(int token) {
        if (count == ids.length) ids = Arrays.copyOf(ids, 2 * count);
        ids[count++] = token;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), true);
        if (!text.endsWith("\uFFFD")) emit(text);
    }

    /** Prints whatever is still held back. */
    void finish() {
        emit(tokenizer.decode(Arrays.copyOf(ids, count), true));
        out.println();
    }

    private void emit(String text) {
        // Decoding more tokens can rewrite the tail (e.g. a stripped leading space): print only a true extension.
        if (text.length() > printed) {
            out.print(text.substring(printed));
            out.flush();
            printed = text.length();
        }
    }
}
