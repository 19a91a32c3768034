package dev.akvq.cli;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import java.util.Arrays;
import java.util.Optional;

/**
 * The one prompt a vision-language trace reads: {@code <prefix>input_ids [1, seq]} and, when the
 * file has one, an {@code <prefix>attention_mask} of all ones (VLM traces do not run padded batches,
 * so a padded prompt is an error rather than silently run as if unpadded).
 */
final class PromptInputs {
    private PromptInputs() {}

    static int[] singlePrompt(SafetensorsFile in, String prefix, String family) {
        WeightTensor ids = in.require(prefix + "input_ids");
        if (ids.rank() != 2 || ids.dim(0) != 1 || ids.dim(1) < 1) {
            throw ids.error("expected " + prefix + "input_ids of shape [1, seq] (" + family + " traces one prompt), found "
                    + Arrays.toString(ids.shape()));
        }
        Optional<WeightTensor> mask = in.find(prefix + "attention_mask");
        if (mask.isPresent() && Arrays.stream(mask.get().toLongArray()).anyMatch(m -> m != 1)) {
            throw mask.get().error("expected " + prefix + "attention_mask all ones (" + family + " traces an unpadded prompt)");
        }
        return ids.toIntArray();
    }
}
