package dev.akvq.model.llama;

import dev.akvq.model.WeightReader;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.Checkpoint;
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
                        Optional<float[]> gateBias, Optional<float[]> upBias, Optional<float[]> downBias) {

        /**
         * This layer with other v_proj and o_proj weights: the place where a KV-cache mode folds
         * its value rotation into the weights once at load (docs/akvq-vl.md, "Rotation"), leaving the
         * forward pass unchanged.
         */
        public Layer withValueAndOutput(MatrixView newV, Optional<float[]> newVBias, MatrixView newO) {
            return new Layer(inputNorm, q, k, newV, newO, qBias, kBias, newVBias, oBias, postAttentionNorm, gate, up, down,
                    gateBias, upBias, downBias);
        }
    }

    /**
     * Reads the decoder under {@code prefix} ("model." for LlamaForCausalLM,
     * "language_model.model." for LLaVA, ...), checking every shape against the config.
     */
    public static LlamaWeights load(Checkpoint checkpoint, TextDecoderConfig c, String prefix, String lmHeadName) {
        WeightReader r = new WeightReader(checkpoint);
        int h = c.hiddenSize(), q = c.numAttentionHeads() * c.headDim(), kv = c.numKeyValueHeads() * c.headDim();
        int ffn = c.intermediateSize();
        MatrixView embed = r.matrix(prefix + "embed_tokens.weight", c.vocabSize(), h);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = prefix + "layers." + i + ".";
            layers.add(new Layer(
                    r.vector(l + "input_layernorm.weight", h),
                    r.matrix(l + "self_attn.q_proj.weight", q, h), r.matrix(l + "self_attn.k_proj.weight", kv, h),
                    r.matrix(l + "self_attn.v_proj.weight", kv, h), r.matrix(l + "self_attn.o_proj.weight", h, q),
                    r.bias(c.qkvBias(), l + "self_attn.q_proj.bias", q), r.bias(c.qkvBias(), l + "self_attn.k_proj.bias", kv),
                    r.bias(c.qkvBias(), l + "self_attn.v_proj.bias", kv), r.bias(c.outputBias(), l + "self_attn.o_proj.bias", h),
                    r.vector(l + "post_attention_layernorm.weight", h),
                    r.matrix(l + "mlp.gate_proj.weight", ffn, h), r.matrix(l + "mlp.up_proj.weight", ffn, h),
                    r.matrix(l + "mlp.down_proj.weight", h, ffn),
                    r.bias(c.mlpBias(), l + "mlp.gate_proj.bias", ffn), r.bias(c.mlpBias(), l + "mlp.up_proj.bias", ffn),
                    r.bias(c.mlpBias(), l + "mlp.down_proj.bias", h)));
        }
        float[] norm = r.vector(prefix + "norm.weight", h);
        MatrixView lmHead = c.tieWordEmbeddings() ? embed : r.matrix(lmHeadName, c.vocabSize(), h);
        return new LlamaWeights(embed, List.copyOf(layers), norm, lmHead);
    }
}
