package dev.akvq.model.layout;

import dev.akvq.weights.config.ClipVisionConfig;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import dev.akvq.weights.config.Qwen2VLVisionConfig;
import dev.akvq.weights.config.SiglipVisionConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor each architecture reads, with the shape its config implies, under transformers
 * 4.47's names (commit 241c04d3; the modeling_*.py module trees): the one declaration per family.
 * {@code akvq inspect} checks a checkpoint against this list, and the loaders take their tensors
 * through it ({@code dev.akvq.model.WeightReader}: a name not declared here cannot be read, and a
 * declared tensor no loader takes fails the load), so the two cannot disagree.
 */
public final class ArchitectureLayout {
    private final List<ExpectedTensor> tensors = new ArrayList<>();

    private ArchitectureLayout() {}

    /** The expected tensors of a whole model. */
    public static List<ExpectedTensor> of(ModelConfig config) {
        ArchitectureLayout layout = new ArchitectureLayout();
        switch (config) {
            case TextDecoderConfig text -> layout.decoder(text, "model.", "lm_head.weight");
            case LlavaConfig llava -> {
                layout.clipVision(llava.visionConfig(), "vision_tower.vision_model.");
                layout.llavaProjector(llava);
                layout.decoder(llava.textConfig(), "language_model.model.", "language_model.lm_head.weight");
            }
            case Idefics3Config idefics -> {
                layout.siglipVision(idefics.visionConfig(), "model.vision_model.");
                int in = idefics.visionConfig().hiddenSize() * idefics.scaleFactor() * idefics.scaleFactor();
                layout.add("projector", "model.connector.modality_projection.proj.weight", idefics.textConfig().hiddenSize(), in);
                layout.decoder(idefics.textConfig(), "model.text_model.", "lm_head.weight");
            }
            case Qwen2VLConfig qwen -> {
                layout.qwen2Vision(qwen.visionConfig(), "visual.");
                layout.decoder(qwen.textConfig(), "model.", "lm_head.weight");
            }
        }
        return List.copyOf(layout.tensors);
    }

    /** The tensors of a CLIP vision tower alone under {@code prefix} (a benchmark's checkpoint of the tower only). */
    public static List<ExpectedTensor> clipVisionTower(ClipVisionConfig config, String prefix) {
        ArchitectureLayout layout = new ArchitectureLayout();
        layout.clipVision(config, prefix);
        return List.copyOf(layout.tensors);
    }

    /** Llama-family decoder (modeling_llama / mistral / qwen2): biases as the config says. */
    private void decoder(TextDecoderConfig c, String prefix, String lmHead) {
        String part = "decoder";
        int h = c.hiddenSize(), q = c.numAttentionHeads() * c.headDim(), kv = c.numKeyValueHeads() * c.headDim();
        add(part, prefix + "embed_tokens.weight", c.vocabSize(), h);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = prefix + "layers." + i + ".";
            add(part, l + "input_layernorm.weight", h);
            linear(part, l + "self_attn.q_proj", q, h, c.qkvBias());
            linear(part, l + "self_attn.k_proj", kv, h, c.qkvBias());
            linear(part, l + "self_attn.v_proj", kv, h, c.qkvBias());
            linear(part, l + "self_attn.o_proj", h, q, c.outputBias());
            add(part, l + "post_attention_layernorm.weight", h);
            linear(part, l + "mlp.gate_proj", c.intermediateSize(), h, c.mlpBias());
            linear(part, l + "mlp.up_proj", c.intermediateSize(), h, c.mlpBias());
            linear(part, l + "mlp.down_proj", h, c.intermediateSize(), c.mlpBias());
        }
        add(part, prefix + "norm.weight", h);
        // A tied lm_head reads embed_tokens; the file then has no lm_head tensor.
        if (!c.tieWordEmbeddings()) add(part, lmHead, c.vocabSize(), h);
    }

    /**
     * CLIPVisionTransformer (modeling_clip): class token, pre_layrnorm (sic), post_layernorm (loaded
     * by transformers, applied only to the pooled output LLaVA never reads).
     */
    private void clipVision(ClipVisionConfig c, String prefix) {
        String part = "vision tower";
        int h = c.hiddenSize(), grid = c.imageSize() / c.patchSize();
        add(part, prefix + "embeddings.class_embedding", h);
        add(part, prefix + "embeddings.patch_embedding.weight", h, c.numChannels(), c.patchSize(), c.patchSize());
        add(part, prefix + "embeddings.position_embedding.weight", grid * grid + 1, h);
        layerNorm(part, prefix + "pre_layrnorm", h);
        vitEncoder(part, prefix + "encoder.layers.", c.numHiddenLayers(), h, c.intermediateSize());
        layerNorm(part, prefix + "post_layernorm", h);
    }

    /** Idefics3VisionTransformer (modeling_idefics3): patch conv with bias, no class token. */
    private void siglipVision(SiglipVisionConfig c, String prefix) {
        String part = "vision tower";
        int h = c.hiddenSize(), grid = c.imageSize() / c.patchSize();
        linearShaped(part, prefix + "embeddings.patch_embedding", h, c.numChannels(), c.patchSize(), c.patchSize());
        add(part, prefix + "embeddings.position_embedding.weight", grid * grid, h);
        vitEncoder(part, prefix + "encoder.layers.", c.numHiddenLayers(), h, c.intermediateSize());
        layerNorm(part, prefix + "post_layernorm", h);
    }

    /** Qwen2VisionTransformerPretrainedModel (modeling_qwen2_vl): 3-D patch conv, fused qkv, merger. */
    private void qwen2Vision(Qwen2VLVisionConfig c, String prefix) {
        String part = "vision tower";
        int e = c.embedDim(), mlp = (int) (e * c.mlpRatio()), merged = e * c.spatialMergeSize() * c.spatialMergeSize();
        add(part, prefix + "patch_embed.proj.weight", e, c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize());
        for (int i = 0; i < c.depth(); i++) {
            String b = prefix + "blocks." + i + ".";
            layerNorm(part, b + "norm1", e);
            linear(part, b + "attn.qkv", 3 * e, e, true);
            linear(part, b + "attn.proj", e, e, true);
            layerNorm(part, b + "norm2", e);
            linear(part, b + "mlp.fc1", mlp, e, true);
            linear(part, b + "mlp.fc2", e, mlp, true);
        }
        layerNorm("projector", prefix + "merger.ln_q", e);
        linear("projector", prefix + "merger.mlp.0", merged, merged, true);
        linear("projector", prefix + "merger.mlp.2", c.hiddenSize(), merged, true);
    }

    /** LlavaMultiModalProjector: linear, act, linear; a list of feature layers is concatenated. */
    private void llavaProjector(LlavaConfig c) {
        int in = c.visionConfig().hiddenSize() * c.visionFeatureLayers().size(), h = c.textConfig().hiddenSize();
        linear("projector", "multi_modal_projector.linear_1", h, in, c.multimodalProjectorBias());
        linear("projector", "multi_modal_projector.linear_2", h, h, c.multimodalProjectorBias());
    }

    /** The pre-norm ViT block shared by CLIP and SigLIP-style encoders. */
    private void vitEncoder(String part, String prefix, int layers, int h, int intermediate) {
        for (int i = 0; i < layers; i++) {
            String l = prefix + i + ".";
            layerNorm(part, l + "layer_norm1", h);
            for (String p : List.of("q_proj", "k_proj", "v_proj", "out_proj")) linear(part, l + "self_attn." + p, h, h, true);
            layerNorm(part, l + "layer_norm2", h);
            linear(part, l + "mlp.fc1", intermediate, h, true);
            linear(part, l + "mlp.fc2", h, intermediate, true);
        }
    }

    private void linear(String part, String name, int out, int in, boolean bias) {
        add(part, name + ".weight", out, in);
        if (bias) add(part, name + ".bias", out);
    }

    private void linearShaped(String part, String name, int out, long... rest) {
        long[] shape = new long[rest.length + 1];
        shape[0] = out;
        System.arraycopy(rest, 0, shape, 1, rest.length);
        tensors.add(new ExpectedTensor(name + ".weight", shape, part));
        add(part, name + ".bias", out);
    }

    private void layerNorm(String part, String name, int n) {
        add(part, name + ".weight", n);
        add(part, name + ".bias", n);
    }

    private void add(String part, String name, long... shape) {
        tensors.add(new ExpectedTensor(name, shape, part));
    }
}
