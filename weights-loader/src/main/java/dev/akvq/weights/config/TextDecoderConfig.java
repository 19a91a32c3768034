package dev.akvq.weights.config;

import dev.akvq.weights.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Llama-style decoder: Llama, Mistral, Qwen2, and the text half of LLaVA, Idefics3 and
 * Qwen2-VL. Defaults are those of transformers v4.47.1 (commit 241c04d3), per model_type:
 *
 * <table>
 *   <caption>defaults by model_type</caption>
 *   <tr><th>field</th><th>llama</th><th>mistral</th><th>qwen2</th><th>qwen2_vl</th></tr>
 *   <tr><td>vocab_size</td><td>32000</td><td>32000</td><td>151936</td><td>152064</td></tr>
 *   <tr><td>hidden_size</td><td>4096</td><td>4096</td><td>4096</td><td>8192</td></tr>
 *   <tr><td>intermediate_size</td><td>11008</td><td>14336</td><td>22016</td><td>29568</td></tr>
 *   <tr><td>num_hidden_layers</td><td>32</td><td>32</td><td>32</td><td>80</td></tr>
 *   <tr><td>num_attention_heads</td><td>32</td><td>32</td><td>32</td><td>64</td></tr>
 *   <tr><td>num_key_value_heads</td><td>= heads</td><td>8</td><td>32 (null: = heads)</td><td>8</td></tr>
 *   <tr><td>max_position_embeddings</td><td>2048</td><td>131072</td><td>32768</td><td>32768</td></tr>
 *   <tr><td>rms_norm_eps</td><td>1e-6</td><td>1e-6</td><td>1e-6</td><td>1e-5</td></tr>
 *   <tr><td>rope_theta</td><td>10000</td><td>10000</td><td>10000</td><td>1000000</td></tr>
 *   <tr><td>bos / eos</td><td>1 / 2</td><td>1 / 2</td><td>none</td><td>none</td></tr>
 *   <tr><td>sliding window</td><td>none</td><td>4096, all layers</td><td colspan="2">only if use_sliding_window
 *       (sliding_window 4096, from max_window_layers 28 / 80)</td></tr>
 * </table>
 * hidden_act silu, tie_word_embeddings false and pad_token_id none for all.
 * head_dim: llama and mistral read it and fall back to hidden_size / num_attention_heads; qwen2
 * and qwen2_vl always use hidden_size / num_attention_heads (their 4.47.1 attention ignores a
 * head_dim key, so a differing one is rejected rather than silently ignored). Biases: llama's
 * attention_bias puts biases on q, k, v and o, mlp_bias on the MLP; mistral has none; qwen2
 * and qwen2_vl always have q, k, v biases and no o or MLP bias.
 *
 * @param eosTokenIds one or more end-of-sequence ids (config.json may write an int or a list)
 */
public record TextDecoderConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize,
        int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads, int headDim, String hiddenAct,
        int maxPositionEmbeddings, double rmsNormEps, double ropeTheta, Optional<RopeScaling> ropeScaling,
        boolean qkvBias, boolean outputBias, boolean mlpBias, Optional<SlidingWindow> slidingWindow,
        boolean tieWordEmbeddings, OptionalInt bosTokenId, List<Integer> eosTokenIds, OptionalInt padTokenId)
        implements ModelConfig {

    /** Text model types this record reads. */
    public static final List<String> SUPPORTED_TYPES = List.of("llama", "mistral", "qwen2", "qwen2_vl");

    public TextDecoderConfig {
        Check.nonEmpty("model_type", modelType);
        Check.positive("vocab_size", vocabSize);
        Check.positive("hidden_size", hiddenSize);
        Check.positive("intermediate_size", intermediateSize);
        Check.positive("num_hidden_layers", numHiddenLayers);
        Check.positive("num_attention_heads", numAttentionHeads);
        Check.positive("num_key_value_heads", numKeyValueHeads);
        Check.divides("num_key_value_heads", numKeyValueHeads, "num_attention_heads", numAttentionHeads);
        Check.positive("head_dim", headDim);
        if (headDim % 2 != 0) {
            throw new ConfigFieldException("head_dim", "must be even for rotate_half RoPE, found " + headDim);
        }
        Check.nonEmpty("hidden_act", hiddenAct);
        Check.positive("max_position_embeddings", maxPositionEmbeddings);
        Check.positiveFinite("rms_norm_eps", rmsNormEps);
        Check.positiveFinite("rope_theta", ropeTheta);
        Objects.requireNonNull(ropeScaling, "ropeScaling");
        Objects.requireNonNull(slidingWindow, "slidingWindow");
        Objects.requireNonNull(bosTokenId, "bosTokenId");
        Objects.requireNonNull(padTokenId, "padTokenId");
        eosTokenIds = List.copyOf(eosTokenIds);
        if (ropeScaling.isPresent() && ropeScaling.get().isMrope()) {
            int sum = ropeScaling.get().mropeSection().stream().mapToInt(Integer::intValue).sum();
            if (sum != headDim / 2) {
                throw new ConfigFieldException("rope_scaling.mrope_section", ropeScaling.get().mropeSection()
                        + " sums to " + sum + " but must sum to head_dim / 2 = " + headDim / 2);
            }
        }
    }

    @Override
    public TextDecoderConfig textConfig() {
        return this;
    }

    /** Query heads per key/value head (grouped-query attention). */
    public int queriesPerKeyValueHead() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** transformers' per-model_type defaults (see the class comment). */
    private record Defaults(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, OptionalInt numKeyValueHeads, int maxPositionEmbeddings, double rmsNormEps,
            double ropeTheta, boolean readsHeadDim, boolean fixedQkvBias, boolean readsBiases,
            OptionalInt slidingWindow, boolean slidingWindowNeedsFlag, int maxWindowLayers, OptionalInt bos,
            List<Integer> eos) {
    }

    private static Defaults defaults(String modelType) {
        return switch (modelType) {
            // configuration_llama.py
            case "llama" -> new Defaults(32000, 4096, 11008, 32, 32, OptionalInt.empty(), 2048, 1e-6, 10000.0,
                    true, false, true, OptionalInt.empty(), false, 0, OptionalInt.of(1), List.of(2));
            // configuration_mistral.py: max_position_embeddings 4096 * 32
            case "mistral" -> new Defaults(32000, 4096, 14336, 32, 32, OptionalInt.of(8), 4096 * 32, 1e-6, 10000.0,
                    true, false, false, OptionalInt.of(4096), false, 0, OptionalInt.of(1), List.of(2));
            // configuration_qwen2.py
            case "qwen2" -> new Defaults(151936, 4096, 22016, 32, 32, OptionalInt.of(32), 32768, 1e-6, 10000.0,
                    false, true, false, OptionalInt.of(4096), true, 28, OptionalInt.empty(), List.of());
            // configuration_qwen2_vl.py (Qwen2VLConfig: the text fields sit at the top level)
            case "qwen2_vl" -> new Defaults(152064, 8192, 29568, 80, 64, OptionalInt.of(8), 32768, 1e-5, 1000000.0,
                    false, true, false, OptionalInt.of(4096), true, 80, OptionalInt.empty(), List.of());
            default -> null;
        };
    }

    /** Reads a text config whose {@code model_type} must be present. */
    public static TextDecoderConfig fromJson(JsonObject o) {
        return fromJson(o, null);
    }

    /**
     * Reads a text config; {@code defaultModelType} stands in when the object has no
     * {@code model_type} (LLaVA's and Idefics3's text_config default to llama).
     */
    public static TextDecoderConfig fromJson(JsonObject o, String defaultModelType) {
        String modelType = o.optString("model_type").or(() -> Optional.ofNullable(defaultModelType))
                .orElseThrow(() -> o.fieldError("model_type", "is missing; expected one of " + SUPPORTED_TYPES));
        Defaults d = defaults(modelType);
        if (d == null) {
            throw o.fieldError("model_type", "unsupported text model type \"" + modelType + "\"; supported: "
                    + SUPPORTED_TYPES);
        }
        int hidden = o.intOr("hidden_size", d.hiddenSize);
        int heads = o.intOr("num_attention_heads", d.numAttentionHeads);
        Check.in(o, () -> {
            Check.positive("num_attention_heads", heads);
            Check.positive("hidden_size", hidden);
            return null;
        });
        // null in config.json means "same as num_attention_heads" for every family.
        int kvHeads = o.optInt("num_key_value_heads").orElse(d.numKeyValueHeads.orElse(heads));
        Optional<Integer> givenHeadDim = o.optInt("head_dim");
        int headDim;
        if (d.readsHeadDim && givenHeadDim.isPresent()) {
            headDim = givenHeadDim.get();
        } else {
            if (hidden % heads != 0) {
                throw o.fieldError("num_attention_heads", "= " + heads + " must divide hidden_size = " + hidden
                        + (d.readsHeadDim ? " when head_dim is not given" : ""));
            }
            headDim = hidden / heads;
            if (givenHeadDim.isPresent() && givenHeadDim.get() != headDim) {
                throw o.fieldError("head_dim", "= " + givenHeadDim.get() + ", but " + modelType + " in transformers"
                        + " 4.47.1 ignores head_dim and uses hidden_size / num_attention_heads = " + headDim);
            }
        }
        Optional<RopeScaling> rope = o.optObject("rope_scaling").map(RopeScaling::fromJson);

        boolean qkvBias;
        boolean outputBias;
        boolean mlpBias;
        if (d.fixedQkvBias) {
            qkvBias = true;
            outputBias = false;
            mlpBias = false;
        } else if (d.readsBiases) {
            qkvBias = outputBias = o.booleanOr("attention_bias", false);
            mlpBias = o.booleanOr("mlp_bias", false);
        } else {
            qkvBias = outputBias = mlpBias = false;
        }

        Optional<SlidingWindow> window = Optional.empty();
        if (d.slidingWindow.isPresent()) {
            boolean enabled = !d.slidingWindowNeedsFlag || o.booleanOr("use_sliding_window", false);
            // An explicit null sliding_window disables it; absent means the default.
            boolean explicitNull = o.has("sliding_window") && o.optInt("sliding_window").isEmpty();
            if (enabled && !explicitNull) {
                int size = o.intOr("sliding_window", d.slidingWindow.getAsInt());
                int first = d.slidingWindowNeedsFlag ? o.intOr("max_window_layers", d.maxWindowLayers) : 0;
                window = Optional.of(Check.in(o, () -> new SlidingWindow(size, first)));
            }
        }

        OptionalInt bos = o.has("bos_token_id") ? toOptionalInt(o.optInt("bos_token_id")) : d.bos;
        List<Integer> eos = o.has("eos_token_id") ? o.optIntOrIntList("eos_token_id").orElse(List.of()) : d.eos;
        OptionalInt pad = toOptionalInt(o.optInt("pad_token_id"));

        int vocab = o.intOr("vocab_size", d.vocabSize);
        int inter = o.intOr("intermediate_size", d.intermediateSize);
        int layers = o.intOr("num_hidden_layers", d.numHiddenLayers);
        String act = o.stringOr("hidden_act", "silu");
        int maxPos = o.intOr("max_position_embeddings", d.maxPositionEmbeddings);
        double eps = o.doubleOr("rms_norm_eps", d.rmsNormEps);
        double theta = o.doubleOr("rope_theta", d.ropeTheta);
        boolean tie = o.booleanOr("tie_word_embeddings", false);
        Optional<SlidingWindow> sw = window;
        return Check.in(o, () -> new TextDecoderConfig(modelType, vocab, hidden, inter, layers, heads, kvHeads, headDim,
                act, maxPos, eps, theta, rope, qkvBias, outputBias, mlpBias, sw, tie, bos, eos, pad));
    }

    static OptionalInt toOptionalInt(Optional<Integer> v) {
        return v.map(OptionalInt::of).orElse(OptionalInt.empty());
    }
}
