package dev.akvq.model.layout;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Maps canonical tensor names (transformers 4.47's layout) to the names a checkpoint actually
 * uses. Newer transformers releases (4.52 and later) save VLMs with a {@code model.} wrapper,
 * e.g. LLaVA's {@code language_model.model.layers.0...} became {@code model.language_model.layers.0...};
 * published checkpoints exist in both forms. The table is data: one row per prefix rename.
 */
public final class CheckpointNaming {

    /** A canonical prefix and the prefix a newer checkpoint stores instead. */
    public record Rename(String canonicalPrefix, String storedPrefix) {}

    /** Every known rename, most specific first. */
    public static final List<Rename> RENAMES = List.of(
            // LLaVA, LLaVA-NeXT (transformers >= 4.52 layout)
            new Rename("language_model.model.", "model.language_model."),
            new Rename("language_model.lm_head.", "lm_head."),
            new Rename("vision_tower.", "model.vision_tower."),
            new Rename("multi_modal_projector.", "model.multi_modal_projector."),
            // Qwen2-VL (transformers >= 4.52 layout)
            new Rename("model.embed_tokens.", "model.language_model.embed_tokens."),
            new Rename("model.layers.", "model.language_model.layers."),
            new Rename("model.norm.", "model.language_model.norm."),
            new Rename("visual.", "model.visual."));

    private final Predicate<String> present;

    /** @param present whether the checkpoint holds a tensor of that exact name */
    public CheckpointNaming(Predicate<String> present) {
        this.present = present;
    }

    /** The stored name of a canonical tensor, if the checkpoint holds it under either form. */
    public Optional<String> resolve(String canonical) {
        if (present.test(canonical)) return Optional.of(canonical);
        for (Rename r : RENAMES) {
            if (canonical.startsWith(r.canonicalPrefix())) {
                String stored = r.storedPrefix() + canonical.substring(r.canonicalPrefix().length());
                if (present.test(stored)) return Optional.of(stored);
            }
        }
        return Optional.empty();
    }
}
