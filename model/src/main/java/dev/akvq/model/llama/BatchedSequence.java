package dev.akvq.model.llama;

import dev.akvq.model.generate.TokenSequence;

/**
 * A sequence that runs inside a {@link DecoderBatch}, whatever family built it: its prompt is
 * queued (embeddings with image features merged in, modality, positions) and fed in chunks, then
 * one generated token per step. The family decides what a row holds (its embedding, its RoPE or
 * M-RoPE tables, what the cache is told); the batch step and the scheduler do not.
 */
public interface BatchedSequence extends TokenSequence {
    /** The decoder whose weights this sequence's rows read (its value-rotated twin when its cache rotates values). */
    LlamaDecoder decoder();

    /** Prompt tokens queued and not yet run. */
    int pendingPromptTokens();

    /**
     * Adds this sequence's next {@code n} tokens to {@code batch}: the next {@code n} prompt
     * tokens while any are pending, else ({@code n == 1}) the generated token {@code token}.
     * Writes the rows' embeddings, rotary tables and cache metadata, and advances the sequence's
     * position as if the step had run.
     *
     * @param wantsLogits whether the step should give the logits of the last of these rows
     * @return the segment's index in the batch (for {@link DecoderBatch#logitsOffset})
     */
    int addTo(DecoderBatch batch, int n, int token, boolean wantsLogits);

    /** The check {@link #addTo} starts with: at most the pending prompt tokens, else exactly one generated token. */
    static void checkCount(int n, int pendingPromptTokens) {
        if (pendingPromptTokens > 0 ? n < 1 || n > pendingPromptTokens : n != 1) {
            throw new IllegalArgumentException("addTo: " + n + " tokens asked, " + (pendingPromptTokens > 0
                    ? pendingPromptTokens + " prompt tokens pending" : "one generated token at a time"));
        }
    }
}
