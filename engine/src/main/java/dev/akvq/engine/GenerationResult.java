package dev.akvq.engine;

import java.util.List;
import java.util.Optional;

/**
 * A finished request.
 *
 * @param tokens        the generated token ids (the EOS token included when it stopped there)
 * @param promptTokens  the prompt's length in tokens, image tokens included
 * @param kvBytes       the bytes of its KV cache when it finished (0 if it never ran)
 * @param bitsPerValue  its cache's bits per cached value (NaN if it never ran)
 * @param preemptions   times it was preempted and recomputed
 * @param error         why it failed, for {@link FinishReason#ERROR}
 */
public record GenerationResult(String id, FinishReason reason, List<Integer> tokens, int promptTokens, long kvBytes,
                               double bitsPerValue, int preemptions, Optional<String> error) {
    public GenerationResult {
        tokens = List.copyOf(tokens);
    }
}
