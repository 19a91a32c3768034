package dev.akvq.quant;

/**
 * Float rows of several attention heads in one array: head {@code h}'s row starts at
 * {@code data[offset + h·stride]}, and its element {@code i} (a channel or a token) at {@code + i·step}.
 * The run kernels read queries and probabilities this way and write logits and value sums.
 */
public record HeadRows(float[] data, int offset, int stride, int step, int heads) {
    public HeadRows {
        if (heads < 1 || offset < 0 || stride < 0 || step < 0) {
            throw new IllegalArgumentException("HeadRows: " + heads + " heads from " + offset + ", " + stride + " apart, step " + step);
        }
    }

    /** Contiguous rows: element {@code i} of head {@code h} at {@code offset + h·stride + i}. */
    public static HeadRows of(float[] data, int offset, int stride, int heads) {
        return new HeadRows(data, offset, stride, 1, heads);
    }
}
