package dev.akvq.model.llama;

import dev.akvq.quant.kv.CachedToken;
import dev.akvq.tensor.RotaryTables;

/**
 * The rotary tables of the tokens a forward pass runs, one row of {@code headDim} cos and sin
 * values per token ({@code emb = cat(freqs, freqs)}, rotate_half layout). A plain decoder builds
 * them from each token's position; Qwen2-VL's M-RoPE builds them from three position components
 * ({@code dev.akvq.model.qwen2vl.MultimodalRotary}) and hands them to
 * {@link LlamaDecoder#forward(float[], CachedToken[], RotaryPositions, java.util.List, dev.akvq.model.Trace)}.
 *
 * @param cos     {@code [tokens, headDim]} row-major
 * @param sin     {@code [tokens, headDim]} row-major
 * @param headDim the width of one row
 */
public record RotaryPositions(float[] cos, float[] sin, int headDim) {
    public RotaryPositions {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RotaryPositions: head_dim must be even and positive, got " + headDim);
        }
        if (cos.length != sin.length || cos.length % headDim != 0) {
            throw new IllegalArgumentException("RotaryPositions: cos has " + cos.length + " values and sin " + sin.length
                    + "; both must be tokens x head_dim " + headDim);
        }
    }

    public int tokens() {
        return cos.length / headDim;
    }

    /** 1-D RoPE: each token's row from its {@link CachedToken#position()} (transformers' LlamaRotaryEmbedding). */
    public static RotaryPositions of(float[] inverseFrequencies, CachedToken[] tokens) {
        int headDim = 2 * inverseFrequencies.length;
        float[] cos = new float[tokens.length * headDim], sin = new float[tokens.length * headDim];
        for (int t = 0; t < tokens.length; t++) {
            RotaryTables.cosSin(inverseFrequencies, tokens[t].position(), 1f, cos, sin, t * headDim);
        }
        return new RotaryPositions(cos, sin, headDim);
    }
}
