package dev.akvq.model.layout;

import java.util.Arrays;

/**
 * One tensor an architecture expects in its checkpoint.
 *
 * @param name      the canonical name: transformers 4.47's layout, as the fixtures store it
 * @param shape     the shape the config implies
 * @param component which part of the model reads it ("vision tower", "projector", "decoder", ...)
 */
public record ExpectedTensor(String name, long[] shape, String component) {
    public ExpectedTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public boolean hasShape(long[] actual) {
        return Arrays.equals(shape, actual);
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }
}
