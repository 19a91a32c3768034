package dev.akvq.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes generated ids one at a time ({@link Tokenizer#streamingDecoder}). {@link #push} returns
 * the text that no later token can change; a token whose bytes stop mid-character returns "" and
 * its character comes out, whole, with the token that completes it. Everything pushed followed by
 * {@link #finish} is exactly {@code decode(ids, skipSpecialTokens)}, and each push costs a decode
 * of the few tokens since the last point where the text was final, not of the whole output.
 *
 * <p>How: the pending tokens (the "window") are decoded on each push, and what the window's
 * text adds beyond what was already printed is printed, unless it may still change: it ends in
 * U+FFFD (an incomplete UTF-8 sequence, for ByteLevel), or the last token is a byte-fallback
 * "&lt;0xNN&gt;" (ByteFallback turns a whole run into U+FFFDs if any later byte makes it invalid,
 * byte_fallback.rs). Once the window's text is final and something has been printed (so a
 * SentencePiece-style leading-space Strip has already acted), the window starts afresh at the
 * next token. A later window is decoded behind a "sentinel" token, a plain letter such as "a",
 * and the sentinel's text is cut off again: then the Strip decoder sees text before the window,
 * as it does in the whole text, and a byte run or UTF-8 sequence cannot cross it. The sentinel is
 * chosen at construction so that decoding it twice is its text twice; with no such token the
 * window never restarts, which is exact but re-decodes everything. A decoder whose output a later
 * token can still change (a Strip with stop &gt; 0, a Replace across fused tokens:
 * {@link TokenDecoder#rewritesEarlierText}) prints everything at finish.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final String sentinel; // null: the window never restarts
    private final String sentinelText;
    private final List<String> window = new ArrayList<>();
    private boolean windowAtStart = true;
    private int printedInWindow;

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        String chosen = null, chosenText = null;
        if (!tokenizer.decoderRewritesEarlierText()) {
            for (char c : "aetionsrAETIONSR".toCharArray()) {
                String token = String.valueOf(c);
                if (tokenizer.tokenId(token).isEmpty()) continue;
                String once = tokenizer.decodeTokens(List.of(token));
                if (!once.isEmpty() && !once.contains("\uFFFD") && tokenizer.decodeTokens(List.of(token, token)).equals(once + once)) {
                    chosen = token;
                    chosenText = once;
                    break;
                }
            }
        }
        this.sentinel = chosen;
        this.sentinelText = chosenText;
    }

    /** The text {@code id} makes final ("" while a character or a byte run is incomplete). */
    public String push(int id) {
        String token = tokenizer.decodedToken(id, skipSpecialTokens);
        if (token == null) return ""; // decode leaves it out too
        window.add(token);
        if (tokenizer.decoderRewritesEarlierText()) return "";
        if (tokenizer.decoderHasByteFallback() && TokenDecoder.isByteToken(token)) return "";
        String text = windowText();
        if (text.endsWith("\uFFFD")) return "";
        String out = text.length() > printedInWindow ? text.substring(printedInWindow) : "";
        printedInWindow = Math.max(printedInWindow, text.length());
        if (sentinel != null && !(windowAtStart && text.isEmpty())) {
            window.clear();
            printedInWindow = 0;
            windowAtStart = false;
        }
        return out;
    }

    /** The text still held back (an incomplete character at the end decodes as U+FFFD); the decoder then starts afresh. */
    public String finish() {
        String text = windowText();
        String out = text.length() > printedInWindow ? text.substring(printedInWindow) : "";
        window.clear();
        printedInWindow = 0;
        windowAtStart = true;
        return out;
    }

    private String windowText() {
        if (windowAtStart) return tokenizer.decodeTokens(window);
        List<String> behindSentinel = new ArrayList<>(window.size() + 1);
        behindSentinel.add(sentinel);
        behindSentinel.addAll(window);
        String text = tokenizer.decodeTokens(behindSentinel);
        if (!text.startsWith(sentinelText)) {
            throw new IllegalStateException("streaming decode: the decoder changed the sentinel token \"" + sentinel
                    + "\" to \"" + text + "\"; this decoder chain cannot be streamed this way");
        }
        return text.substring(sentinelText.length());
    }
}
