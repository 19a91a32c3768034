package dev.akvq.model;

/**
 * Where a forward pass hands its intermediates, under the goldens' names
 * ({@code decoder_layer_out.{i}}, {@code attn_probs.{i}}, ...), so a porting engineer can diff
 * tensor by tensor. {@link #NONE} costs nothing: callers check {@link #enabled()} first.
 */
public interface Trace {
    Trace NONE = new Trace() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void put(String name, float[] data, long... shape) {}
    };

    boolean enabled();

    /** Records {@code data} (row-major, copied if the caller reuses it) under {@code name} with {@code shape}. */
    void put(String name, float[] data, long... shape);

    /** Records integer data (token ids, positions) under {@code name}; a trace that keeps only floats ignores it. */
    default void putIds(String name, long[] data, long... shape) {}
}
