package dev.akvq.cli;

import dev.akvq.model.NonFiniteTrace;
import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.NonFiniteScan;
import java.nio.file.Path;

/**
 * Stops generation with an error when logits hold NaN or infinity, which would otherwise print
 * garbage with exit 0. The check on the hot path is one pass over the vocabulary per token; the
 * error then runs the prompt's forward pass again through a {@link NonFiniteTrace} to name the
 * first layer and intermediate where the values left the finite range.
 */
final class NonFiniteLogits {
    private NonFiniteLogits() {}

    /** Throws when {@code logits} are not all finite; {@code generated} tokens came before them. */
    static void check(float[] logits, int generated, VisionLanguageModel model, PromptInput input, KvCacheSettings settings, Path dir) {
        int at = NonFiniteScan.firstIndex(logits, 0, logits.length);
        if (at < 0) return;
        String where = generated == 0 ? "the prompt's last position" : "generated token " + generated;
        NonFiniteTrace diagnosis = new NonFiniteTrace();
        try (TokenSequence again = model.prefill(input, settings, diagnosis)) {
            // only the trace matters
        }
        String first = diagnosis.first().map(f -> "; the first non-finite value of the prompt's forward pass: " + f)
                .orElse("; the prompt's forward pass is finite throughout, so the values overflowed while decoding");
        throw new IllegalStateException("logits at " + where + " are not finite (id " + at + " is " + logits[at] + ")" + first
                + ". HINT: akvq inspect --model " + dir + " checks every weight for NaN and infinity");
    }
}
