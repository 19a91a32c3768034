package dev.akvq.model.llama;

import dev.akvq.model.WeightReader;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The weights of a Llama-family decoder, under Hugging Face's names and layouts (no permuted
 * q/k): matrices stay mapped in their stored dtype, norm weights and biases are widened to float.
 *
 * @param lmHead the output projection; for tied embeddings the same matrix as {@code embedTokens}
 */
public record LlamaWeights(MatrixView embedTokens, List<Layer> layers, float[] finalNorm, MatrixView lmHead) {

    /** One decoder layer. Biases are present as the config says (Qwen2: q/k/v; Llama attention_bias: all four). */
    public record Layer(float[] inputNorm, MatrixView q, MatrixView k, MatrixView v, MatrixView o,
                        Optional<float[]> qBias, Optional<float[]> kBias, Optional<float[]> vBias, Optional<float[]> oBias,
                        float[] postAttentionNorm, MatrixView gate, MatrixView up, MatrixView down,
                        Optional<float[]> gateBias, Optional<float[]> upBias, Optional<float[]> downBias) {}

    /**
     * Reads the decoder under {@code prefix} ("model." for LlamaForCausalLM,
     * "language_model.model." for LLaVA, ...); shapes as {@code ArchitectureLayout.decoder} declares
     * them from the config.
     */
    public static LlamaWeights load(WeightReader r, TextDecoderConfig c, String prefix, String lmHeadName) {
        MatrixView embed = r.matrix(prefix + "embed_tokens.weight");
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = prefix + "layers." + i + ".";
            layers.add(new Layer(
                    r.vector(l + "input_layernorm.weight"),
                    r.matrix(l + "self_attn.q_proj.weight"), r.matrix(l + "self_attn.k_proj.weight"),
                    r.matrix(l + "self_attn.v_proj.weight"), r.matrix(l + "self_attn.o_proj.weight"),
                    r.bias(c.qkvBias(), l + "self_attn.q_proj.bias"), r.bias(c.qkvBias(), l + "self_attn.k_proj.bias"),
                    r.bias(c.qkvBias(), l + "self_attn.v_proj.bias"), r.bias(c.outputBias(), l + "self_attn.o_proj.bias"),
                    r.vector(l + "post_attention_layernorm.weight"),
                    r.matrix(l + "mlp.gate_proj.weight"), r.matrix(l + "mlp.up_proj.weight"),
                    r.matrix(l + "mlp.down_proj.weight"),
                    r.bias(c.mlpBias(), l + "mlp.gate_proj.bias"), r.bias(c.mlpBias(), l + "mlp.up_proj.bias"),
                    r.bias(c.mlpBias(), l + "mlp.down_proj.bias")));
        }
        float[] norm = r.vector(prefix + "norm.weight");
        MatrixView lmHead = c.tieWordEmbeddings() ? embed : r.matrix(lmHeadName);
        return new LlamaWeights(embed, List.copyOf(layers), norm, lmHead);
    }
}
