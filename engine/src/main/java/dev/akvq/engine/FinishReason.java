package dev.akvq.engine;

import java.util.Locale;

/** Why a request ended, spelled in JSON as OpenAI's finish_reason where one exists. */
public enum FinishReason {
    /** An EOS token was generated (it is the last token), or the caller stopped it ({@link RequestHandle#stop}). */
    STOP,
    /** max_new_tokens were generated. */
    LENGTH,
    /** The caller cancelled it ({@link RequestHandle#cancel}). */
    CANCELLED,
    /** Preparing or running it failed; the result's error says why. Other requests go on. */
    ERROR;

    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
