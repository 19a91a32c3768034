package dev.akvq.model;

import dev.akvq.model.layout.CheckpointNaming;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.WeightsFormatException;
import java.util.Arrays;
import java.util.Optional;

/**
 * How every family reads its weights: by canonical name through {@link CheckpointNaming}, with
 * the shape its config implies checked before any data is touched.
 */
public final class WeightReader {
    private final Checkpoint checkpoint;
    private final CheckpointNaming naming;

    public WeightReader(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        this.naming = new CheckpointNaming(name -> checkpoint.find(name).isPresent());
    }

    /** The tensor, with {@code shape}; an error naming the directory, the tensor and the shape otherwise. */
    public WeightTensor tensor(String name, long... shape) {
        String stored = naming.resolve(name).orElseThrow(() -> new WeightsFormatException(checkpoint.directory()
                + ": tensor \"" + name + "\" " + Arrays.toString(shape) + " is missing"
                + " (HINT: 'akvq inspect --model DIR' lists every missing tensor)"));
        return checkpoint.require(stored).requireShape(shape);
    }

    /** A {@code [rows, cols]} weight matrix, mapped in its stored dtype. */
    public MatrixView matrix(String name, int rows, int cols) {
        return tensor(name, rows, cols).asMatrix();
    }

    /** A {@code [n]} vector (norm weight, bias) widened to float. */
    public float[] vector(String name, int n) {
        return tensor(name, n).toFloatArray();
    }

    /** A bias the config says is {@code present}, or empty. */
    public Optional<float[]> bias(boolean present, String name, int n) {
        return present ? Optional.of(vector(name, n)) : Optional.empty();
    }
}
