package dev.akvq.cli;

import dev.akvq.model.generate.TokenSequence;

/**
 * A vision family's prompt after {@code akvq run}'s prefill: the sequence to feed generated tokens
 * to, the last position's logits and the prompt's length in tokens (image tokens included).
 */
record PrefilledPrompt(TokenSequence sequence, float[] logits, int promptTokens) {}
