package dev.akvq.template;

import java.util.Arrays;

/**
 * A template's source after Jinja2's newline handling (every \r\n, \r and \n becomes \n; one
 * trailing newline is dropped since keep_trailing_newline is off), with a table of line starts
 * so that an offset becomes a 1-based line and column.
 */
final class SourceText {
    final String text;
    private final int[] lineStarts;

    SourceText(String raw) {
        StringBuilder b = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\r') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\n') i++;
                b.append('\n');
            } else {
                b.append(c);
            }
        }
        if (b.length() > 0 && b.charAt(b.length() - 1) == '\n') b.setLength(b.length() - 1);
        text = b.toString();
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                if (n == starts.length) starts = Arrays.copyOf(starts, n * 2);
                starts[n++] = i + 1;
            }
        }
        lineStarts = Arrays.copyOf(starts, n);
    }

    int line(int pos) {
        int i = Arrays.binarySearch(lineStarts, pos);
        return (i >= 0 ? i : -i - 2) + 1;
    }

    int column(int pos) {
        return pos - lineStarts[line(pos) - 1] + 1;
    }

    TemplateSyntaxError error(String problem, int pos) {
        return new TemplateSyntaxError(problem, line(pos), column(pos));
    }
}
