package dev.akvq.tensor;

import java.util.List;

/**
 * An elementwise activation picked by the name a Hugging Face config gives it ({@code hidden_act},
 * {@code projector_hidden_act}), as transformers' ACT2FN maps names to functions (activations.py,
 * v4.47.1): {@code gelu} (exact, erf), {@code gelu_pytorch_tanh} and {@code gelu_new} (tanh
 * approximation), {@code quick_gelu} ({@code x·σ(1.702x)}), {@code silu}.
 */
@FunctionalInterface
public interface Activation {
    /** The names {@link #named} knows. */
    List<String> NAMES = List.of("gelu", "gelu_pytorch_tanh", "gelu_new", "quick_gelu", "silu");

    /** Applies the function in place to {@code a[offset, offset + n)}. */
    void apply(float[] a, int offset, int n);

    /**
     * The function of {@code name}; an unknown name is an error naming {@code field} (e.g.
     * {@code "config.json: vision_config.hidden_act"}) and the names that are known.
     */
    static Activation named(String field, String name) {
        return switch (name) {
            case "gelu" -> GeluErf::apply;
            case "gelu_pytorch_tanh", "gelu_new" -> GeluTanh::apply;
            case "quick_gelu" -> QuickGelu::apply;
            case "silu" -> Silu::apply;
            default -> throw new IllegalArgumentException(field + " \"" + name + "\" is not supported; expected one of " + NAMES);
        };
    }

    /**
     * Applies the function to {@code rows} rows of {@code width} floats, rows split over the pool and
     * each row on its own, so a row's vector/tail split (and result) is the same for every thread count.
     */
    default void applyRows(float[] a, int rows, int width, WorkerPool pool) {
        pool.forRange(rows, (start, end) -> {
            for (int t = start; t < end; t++) apply(a, t * width, width);
        });
    }
}
