package dev.akvq.cli;

import java.io.PrintStream;

/**
 * The model's context (max_position_embeddings) as the end of generation, as transformers'
 * generate treats max_length: prompt plus generated tokens never exceed it. A prompt that fills
 * the context is refused before the prefill; a --max-new-tokens the context cannot hold is
 * capped with a note at the start, so reaching the context is a normal end ("length"), not a
 * failure after the work.
 */
final class ContextLimit {
    private ContextLimit() {}

    /**
     * How many tokens may be generated after a prompt of {@code promptTokens}.
     *
     * @param asked   --max-new-tokens, or the default when {@code given} is false
     * @param warning where the note about a capped count goes
     */
    static int maxNewTokens(int promptTokens, int context, int asked, boolean given, PrintStream warning) {
        int room = context - promptTokens;
        if (room < 0) {   // worded as the decoder's own check
            throw new IllegalArgumentException("prompt of " + promptTokens + " tokens exceeds max_position_embeddings " + context
                    + " of config.json; shorten the prompt or use fewer images");
        }
        if (room == 0) {
            throw new IllegalArgumentException("the prompt's " + promptTokens + " tokens fill the model's context of " + context
                    + " tokens (max_position_embeddings in config.json): no room to generate; shorten the prompt or use fewer images");
        }
        if (asked <= room) return asked;
        warning.println("akvq run: note: " + (given ? "--max-new-tokens " + asked : "the default of " + asked + " new tokens")
                + " capped to " + room + ": the prompt's " + promptTokens + " tokens leave " + room + " of the model's context of "
                + context + " tokens (max_position_embeddings)");
        return room;
    }
}
