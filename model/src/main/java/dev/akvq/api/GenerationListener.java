package dev.akvq.api;

/** Receives a generation as it happens, on the thread that called {@code generate}. */
public interface GenerationListener {
    /**
     * One generated token and the text it completes: {@code ""} while a character is split across
     * tokens, then the whole character with the token that finishes it.
     */
    void onToken(int tokenId, String text);

    /** Checked after each token: true stops the generation there (stop reason "cancelled"). */
    default boolean cancelled() {
        return false;
    }

    /** Text the decoder held back until the end (usually empty), once, after the last token. */
    default void onFinish(String heldText) {}
}
