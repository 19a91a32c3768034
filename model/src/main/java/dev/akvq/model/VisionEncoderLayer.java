package dev.akvq.model;

import dev.akvq.tensor.MatrixView;

/**
 * The weights of one pre-LN ViT encoder layer as CLIP (CLIPEncoderLayer) and SigLIP
 * (Idefics3EncoderLayer) publish them under {@code encoder.layers.{i}.}: two LayerNorms,
 * q/k/v/out projections with biases, the two-linear MLP with biases. Only the weights are
 * shared; each tower's forward pass stays in its own file.
 */
public record VisionEncoderLayer(float[] norm1Weight, float[] norm1Bias, MatrixView q, float[] qBias, MatrixView k, float[] kBias,
                                 MatrixView v, float[] vBias, MatrixView out, float[] outBias, float[] norm2Weight,
                                 float[] norm2Bias, MatrixView fc1, float[] fc1Bias, MatrixView fc2, float[] fc2Bias) {

    /** Reads the layer under {@code prefix} (e.g. "model.vision_model.encoder.layers.3."), shapes as {@code ArchitectureLayout} declares. */
    public static VisionEncoderLayer load(WeightReader r, String prefix) {
        return new VisionEncoderLayer(
                r.vector(prefix + "layer_norm1.weight"), r.vector(prefix + "layer_norm1.bias"),
                r.matrix(prefix + "self_attn.q_proj.weight"), r.vector(prefix + "self_attn.q_proj.bias"),
                r.matrix(prefix + "self_attn.k_proj.weight"), r.vector(prefix + "self_attn.k_proj.bias"),
                r.matrix(prefix + "self_attn.v_proj.weight"), r.vector(prefix + "self_attn.v_proj.bias"),
                r.matrix(prefix + "self_attn.out_proj.weight"), r.vector(prefix + "self_attn.out_proj.bias"),
                r.vector(prefix + "layer_norm2.weight"), r.vector(prefix + "layer_norm2.bias"),
                r.matrix(prefix + "mlp.fc1.weight"), r.vector(prefix + "mlp.fc1.bias"),
                r.matrix(prefix + "mlp.fc2.weight"), r.vector(prefix + "mlp.fc2.bias"));
    }
}
