package dev.akvq.server;

import dev.akvq.tokenizer.StreamingDecoder;
import dev.akvq.tokenizer.Tokenizer;
import java.util.List;

/**
 * The text of one answer as tokens arrive: the tokenizer's streaming decode (special tokens
 * skipped, a character split across tokens released whole), cut at the first stop string. Text
 * that might still turn out to start a stop string is held back until it cannot, so a client
 * never sees part of a stop string; OpenAI leaves the stop string out of the answer too.
 */
final class AnswerText {
    private final StreamingDecoder decoder;
    private final List<String> stops;
    /** Decoded but not yet released. */
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    AnswerText(Tokenizer tokenizer, List<String> stops) {
        this.decoder = tokenizer.streamingDecoder(true);
        this.stops = List.copyOf(stops);
    }

    /** Text released by {@code token} (maybe ""). After a stop string, {@link #stopped()} is true and nothing more comes. */
    String push(int token) {
        if (stopped) return "";
        pending.append(decoder.push(token));
        return release(false);
    }

    /** The rest at the end of generation (what the decoder held back, less any stop string). */
    String finish() {
        if (stopped) return "";
        pending.append(decoder.finish());
        return release(true);
    }

    boolean stopped() {
        return stopped;
    }

    private String release(boolean atEnd) {
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        // Keep the longest tail that is a proper prefix of some stop string.
        int keep = 0;
        String text = pending.toString();
        if (!atEnd) {
            for (String s : stops) {
                for (int k = Math.min(s.length() - 1, text.length()); k > keep; k--) {
                    if (text.regionMatches(text.length() - k, s, 0, k)) {
                        keep = k;
                        break;
                    }
                }
            }
        }
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }
}
