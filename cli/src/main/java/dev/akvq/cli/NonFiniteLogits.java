package dev.akvq.cli;

import dev.akvq.model.NonFiniteTrace;
import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.NonFiniteLogitsException;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import java.nio.file.Path;

/**
 * The error for logits holding NaN or infinity ({@link NonFiniteLogitsException}, found by the
 * generation loop in one pass over the vocabulary per token): the prompt's forward pass runs
 * again through a {@link NonFiniteTrace} to name the first layer and intermediate where the
 * values left the finite range.
 */
final class NonFiniteLogits {
    private NonFiniteLogits() {}

    static IllegalStateException diagnose(NonFiniteLogitsException e, VisionLanguageModel model, PromptInput input,
                                          KvCacheSettings settings, Path dir) {
        NonFiniteTrace diagnosis = new NonFiniteTrace();
        try (TokenSequence again = model.prefill(input, settings, diagnosis)) {
            // only the trace matters
        }
        String first = diagnosis.first().map(f -> "; the first non-finite value of the prompt's forward pass: " + f)
                .orElse("; the prompt's forward pass is finite throughout, so the values overflowed while decoding");
        return new IllegalStateException(e.getMessage() + first + ". HINT: akvq inspect --model " + dir
                + " checks every weight for NaN and infinity");
    }
}
