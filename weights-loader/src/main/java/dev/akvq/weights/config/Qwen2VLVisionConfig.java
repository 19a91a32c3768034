package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.Optional;

/**
 * Qwen2-VL's vision tower. Defaults from Qwen2VLVisionConfig (configuration_qwen2_vl.py at
 * transformers 241c04d3): depth 32, embed_dim 1280, hidden_size 3584 (the merger's output, which
 * must equal the decoder's hidden size), quick_gelu, mlp_ratio 4, 16 heads, 3 input channels,
 * patch 14, spatial_merge_size 2, temporal_patch_size 2.
 *
 * <p>Published Qwen2-VL configs write {@code in_chans}; transformers reads only
 * {@code in_channels} (in_chans lands in kwargs, unused), which is harmless because both are 3.
 * We read either and reject the two disagreeing.
 */
public record Qwen2VLVisionConfig(int depth, int embedDim, int hiddenSize, String hiddenAct, double mlpRatio,
        int numHeads, int inChannels, int patchSize, int spatialMergeSize, int temporalPatchSize) {

    public Qwen2VLVisionConfig {
        Check.positive("depth", depth);
        Check.positive("embed_dim", embedDim);
        Check.positive("hidden_size", hiddenSize);
        Check.nonEmpty("hidden_act", hiddenAct);
        Check.positiveFinite("mlp_ratio", mlpRatio);
        Check.positive("num_heads", numHeads);
        Check.divides("num_heads", numHeads, "embed_dim", embedDim);
        if ((embedDim / numHeads) % 4 != 0) {
            // The 2-D rotary embedding splits each head into height and width halves, each rotated in pairs.
            throw new ConfigFieldException("num_heads", "embed_dim / num_heads = " + embedDim / numHeads
                    + " must be a multiple of 4 for the 2-D vision RoPE");
        }
        Check.positive("in_channels", inChannels);
        Check.positive("patch_size", patchSize);
        Check.positive("spatial_merge_size", spatialMergeSize);
        Check.positive("temporal_patch_size", temporalPatchSize);
        if ((long) embedDim * mlpRatio >= Integer.MAX_VALUE) {
            throw new ConfigFieldException("mlp_ratio", "embed_dim * mlp_ratio is too large");
        }
    }

    public int headDim() {
        return embedDim / numHeads;
    }

    /** Width of each block's MLP: int(embed_dim * mlp_ratio), as Qwen2VLVisionBlock computes it. */
    public int mlpHiddenDim() {
        return (int) (embedDim * mlpRatio);
    }

    /** Input width of the patch merger: embed_dim × spatial_merge_size². */
    public int mergerInputDim() {
        return embedDim * spatialMergeSize * spatialMergeSize;
    }

    public static Qwen2VLVisionConfig fromJson(JsonObject o) {
        Optional<Integer> channels = o.optInt("in_channels");
        Optional<Integer> chans = o.optInt("in_chans");
        if (channels.isPresent() && chans.isPresent() && !channels.get().equals(chans.get())) {
            throw o.fieldError("in_chans", "= " + chans.get() + " disagrees with in_channels = " + channels.get());
        }
        int inChannels = channels.or(() -> chans).orElse(3);
        return Check.in(o, () -> new Qwen2VLVisionConfig(
                o.intOr("depth", 32),
                o.intOr("embed_dim", 1280),
                o.intOr("hidden_size", 3584),
                o.stringOr("hidden_act", "quick_gelu"),
                o.doubleOr("mlp_ratio", 4.0),
                o.intOr("num_heads", 16),
                inChannels,
                o.intOr("patch_size", 14),
                o.intOr("spatial_merge_size", 2),
                o.intOr("temporal_patch_size", 2)));
    }
}
