package dev.akvq.model;

import dev.akvq.tensor.NonFiniteScan;
import java.util.Arrays;
import java.util.Optional;

/**
 * A trace that checks every intermediate for NaN and infinity and remembers the first one that
 * holds such a value, passing each on to another trace. The intermediates arrive in the order
 * the math happens under the goldens' names ({@code decoder_inputs_embeds},
 * {@code attn_output.{i}}, {@code decoder_layer_out.{i}}, ...), so the first one names the layer
 * and the step where the values left the finite range.
 *
 * <p>It costs a full trace, so a generation loop does not run it on every token: it checks the
 * logits (one pass over the vocabulary) and, only when they are not finite, runs the forward
 * pass again through this trace to say where it happened.
 */
public final class NonFiniteTrace implements Trace {
    private final Trace next;
    private String first;

    /** A checking trace that keeps nothing else. */
    public NonFiniteTrace() {
        this(Trace.NONE);
    }

    /** Checks each intermediate, then hands it to {@code next}. */
    public NonFiniteTrace(Trace next) {
        this.next = next;
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void put(String name, float[] data, long... shape) {
        if (first == null) {
            int at = NonFiniteScan.firstIndex(data, 0, data.length);
            if (at >= 0) first = describe(name, data[at], at, shape);
        }
        if (next.enabled()) next.put(name, data, shape);
    }

    @Override
    public void putIds(String name, long[] data, long... shape) {
        next.putIds(name, data, shape);
    }

    /** The first intermediate with a non-finite value: its name, shape, coordinates and value. */
    public Optional<String> first() {
        return Optional.ofNullable(first);
    }

    /** {@code name [shape] at [coordinates] is NaN}: the flat index as coordinates of the shape. */
    static String describe(String name, float value, long flat, long... shape) {
        long[] at = new long[shape.length];
        long rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? rest : rest / shape[d];
        }
        return name + " " + Arrays.toString(shape) + " at " + Arrays.toString(at) + " is " + value;
    }
}
