package dev.akvq.model.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CheckpointNamingTest {

    @Test
    void canonicalNamesWinWhenPresent() {
        CheckpointNaming naming = new CheckpointNaming(Set.of("language_model.model.norm.weight")::contains);
        assertEquals(Optional.of("language_model.model.norm.weight"), naming.resolve("language_model.model.norm.weight"));
    }

    @Test
    void newerLlavaLayoutResolvesThroughTheRenameTable() {
        CheckpointNaming naming = new CheckpointNaming(Set.of(
                "model.language_model.layers.0.mlp.up_proj.weight", "lm_head.weight",
                "model.vision_tower.vision_model.post_layernorm.bias",
                "model.multi_modal_projector.linear_1.weight")::contains);
        assertEquals(Optional.of("model.language_model.layers.0.mlp.up_proj.weight"),
                naming.resolve("language_model.model.layers.0.mlp.up_proj.weight"));
        assertEquals(Optional.of("lm_head.weight"), naming.resolve("language_model.lm_head.weight"));
        assertEquals(Optional.of("model.vision_tower.vision_model.post_layernorm.bias"),
                naming.resolve("vision_tower.vision_model.post_layernorm.bias"));
        assertEquals(Optional.of("model.multi_modal_projector.linear_1.weight"),
                naming.resolve("multi_modal_projector.linear_1.weight"));
    }

    @Test
    void newerQwen2VlLayoutResolves() {
        CheckpointNaming naming = new CheckpointNaming(Set.of(
                "model.language_model.embed_tokens.weight", "model.visual.merger.ln_q.weight")::contains);
        assertEquals(Optional.of("model.language_model.embed_tokens.weight"), naming.resolve("model.embed_tokens.weight"));
        assertEquals(Optional.of("model.visual.merger.ln_q.weight"), naming.resolve("visual.merger.ln_q.weight"));
    }

    @Test
    void absentUnderEveryFormIsEmpty() {
        CheckpointNaming naming = new CheckpointNaming(Set.of("model.norm.weight")::contains);
        assertEquals(Optional.empty(), naming.resolve("model.layers.0.input_layernorm.weight"));
        assertEquals(Optional.empty(), naming.resolve("lm_head.weight"));
    }
}
