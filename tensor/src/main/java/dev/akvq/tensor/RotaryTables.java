package dev.akvq.tensor;

import java.util.Objects;

/**
 * The cos/sin tables of rotary position embedding, kept apart from the rotation
 * ({@link RotaryEmbedding}) so each rope type only has to supply its inverse frequencies.
 *
 * <p>Matches transformers v4.47.1 in float32: {@code _compute_default_rope_parameters}
 * (modeling_rope_utils.py) builds {@code inv_freq = 1.0 / (base ** (arange(0, dim, 2).float() / dim))},
 * and {@code LlamaRotaryEmbedding.forward} takes {@code freqs = inv_freq ⊗ position} (each a single
 * float32 product), {@code emb = cat(freqs, freqs)}, {@code cos = emb.cos() · attention_scaling},
 * {@code sin = emb.sin() · attention_scaling}. Here {@code pow}, {@code cos} and {@code sin} are taken
 * in double on the float32 operands and rounded to float (correctly rounded or nearly; torch's float
 * {@code powf}/{@code cosf} may differ from that in the last bit).
 */
public final class RotaryTables {
    private RotaryTables() {}

    /**
     * Default rope: {@code inv_freq[j] = 1 / base^((2j) / dim)} for {@code j < dim/2}, with the
     * exponent divided in float32 and the power rounded to float32 before the float32 division.
     */
    public static float[] defaultInverseFrequencies(int dim, double base) {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("RotaryTables: rotary dimension must be even and positive, got " + dim);
        }
        if (!(base > 1.0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("RotaryTables: rope_theta must be a finite number > 1, got " + base);
        }
        float baseF = (float) base;
        float[] inv = new float[dim / 2];
        for (int j = 0; j < inv.length; j++) {
            float exponent = (float) (2 * j) / (float) dim;
            float power = (float) Math.pow(baseF, exponent);
            inv[j] = 1.0f / power;
        }
        return inv;
    }

    /**
     * Fills {@code cos[tableOffset ..+2k)} and {@code sin[...]} for one position from
     * {@code k = invFreq.length} inverse frequencies: entries {@code j} and {@code j + k} both use
     * the angle {@code (float) position · invFreq[j]}, times {@code attentionScaling} (1 by default).
     */
    public static void cosSin(float[] invFreq, int position, float attentionScaling, float[] cos, float[] sin, int tableOffset) {
        int k = invFreq.length;
        Objects.checkFromIndexSize(tableOffset, 2 * k, cos.length);
        Objects.checkFromIndexSize(tableOffset, 2 * k, sin.length);
        if (position < 0) throw new IllegalArgumentException("RotaryTables: position must be >= 0, got " + position);
        float p = (float) position;
        for (int j = 0; j < k; j++) put(p * invFreq[j], j, k, attentionScaling, cos, sin, tableOffset);
    }

    /**
     * The {@code cat(angles, angles)} expansion of angles already computed (Qwen2-VL's 2-D vision
     * rotary and its M-RoPE): for {@code j < k}, entries {@code j} and {@code j + k} of the row at
     * {@code tableOffset} get the cosine and sine of {@code angles[angleOffset + j]}.
     */
    public static void expand(float[] angles, int angleOffset, int k, float[] cos, float[] sin, int tableOffset) {
        Objects.checkFromIndexSize(angleOffset, k, angles.length);
        Objects.checkFromIndexSize(tableOffset, 2 * k, cos.length);
        Objects.checkFromIndexSize(tableOffset, 2 * k, sin.length);
        for (int j = 0; j < k; j++) put(angles[angleOffset + j], j, k, 1f, cos, sin, tableOffset);
    }

    private static void put(float angle, int j, int k, float scaling, float[] cos, float[] sin, int tableOffset) {
        float c = (float) Math.cos(angle) * scaling, s = (float) Math.sin(angle) * scaling;
        cos[tableOffset + j] = c;
        cos[tableOffset + k + j] = c;
        sin[tableOffset + j] = s;
        sin[tableOffset + k + j] = s;
    }

    /** Tables for positions {@code [0, positions)}: row {@code p} at offset {@code p · 2k} of the returned arrays {@code {cos, sin}}. */
    static float[][] cosSinRows(float[] invFreq, int positions, float attentionScaling) {
        if (positions < 0) throw new IllegalArgumentException("RotaryTables: positions must be >= 0, got " + positions);
        int width = 2 * invFreq.length;
        float[] cos = new float[Math.multiplyExact(positions, width)];
        float[] sin = new float[cos.length];
        for (int p = 0; p < positions; p++) cosSin(invFreq, p, attentionScaling, cos, sin, p * width);
        return new float[][] {cos, sin};
    }
}
