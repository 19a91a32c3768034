package dev.akvq.model;

import dev.akvq.model.qwen2vl.MropePositions;
import dev.akvq.quant.kv.Modality;
import java.util.Optional;

/**
 * A prompt ready for the decoder: its expanded token ids, the decoder's input embeddings
 * {@code [ids.length, hidden]} with the image features merged in, each position's modality (vision
 * where an image feature sits) and, for Qwen2-VL, its M-RoPE positions (the other families count
 * positions 0, 1, 2, ...). One prepared prompt can be prefilled under several KV settings
 * ({@code akvq eval}); the prefill copies the embeddings.
 */
public record PreparedPrompt(int[] ids, float[] embeds, Modality[] modality, Optional<MropePositions> mropePositions) {
    public PreparedPrompt {
        if (modality.length != ids.length) {
            throw new IllegalArgumentException("modality has " + modality.length + " entries, the prompt " + ids.length + " ids");
        }
        if (ids.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (embeds.length % ids.length != 0) {
            throw new IllegalArgumentException(embeds.length + " embedding floats for " + ids.length + " tokens");
        }
    }

    public int tokens() {
        return ids.length;
    }
}
