package dev.akvq.model;

import dev.akvq.model.layout.ArchitectureLayout;
import dev.akvq.model.layout.CheckpointNaming;
import dev.akvq.model.layout.ExpectedTensor;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.config.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How every family reads its weights: only the tensors {@link ArchitectureLayout} declares for
 * it, the list {@code akvq inspect} checks a checkpoint against, so the two cannot disagree.
 * The first tensor taken finds every declared tensor (through the rename table of
 * {@link CheckpointNaming}) and checks its shape and dtype, before any data is touched (not at
 * {@link #of}: Qwen2-VL reads its weights on first use, after its prompt checks); the loaders
 * then take tensors by canonical name with the declared shape. Taking a name the layout does not
 * declare, or leaving a declared tensor untaken ({@link #requireAllTaken}), is a programming error.
 */
public final class WeightReader {
    private final Checkpoint checkpoint;
    private final List<ExpectedTensor> expected;
    private Map<String, WeightTensor> declared;     // found and checked on the first take
    private final Set<String> taken = new LinkedHashSet<>();

    private WeightReader(Checkpoint checkpoint, List<ExpectedTensor> expected) {
        this.checkpoint = checkpoint;
        this.expected = List.copyOf(expected);
    }

    /** The tensors {@code expected} declares, read from {@code checkpoint} once a loader takes the first. */
    public static WeightReader of(Checkpoint checkpoint, List<ExpectedTensor> expected) {
        return new WeightReader(checkpoint, expected);
    }

    /** The declared tensors of the whole model {@code config} describes. */
    public static WeightReader of(Checkpoint checkpoint, ModelConfig config) {
        return of(checkpoint, ArchitectureLayout.of(config));
    }

    /** Finds and checks every declared tensor; an error naming the directory, the tensor and its shape at the first one missing or wrong. */
    private Map<String, WeightTensor> checkDeclared() {
        CheckpointNaming naming = new CheckpointNaming(name -> checkpoint.find(name).isPresent());
        Map<String, WeightTensor> found = new LinkedHashMap<>();
        for (ExpectedTensor e : expected) {
            String stored = naming.resolve(e.name()).orElseThrow(() -> new WeightsFormatException(checkpoint.directory()
                    + ": tensor \"" + e.name() + "\" " + Arrays.toString(e.shape()) + " is missing"
                    + " (HINT: 'akvq inspect --model DIR' lists every missing tensor)"));
            WeightTensor t = checkpoint.require(stored).requireShape(e.shape()).requireDType(DType.F32, DType.BF16, DType.F16);
            if (found.put(e.name(), t) != null) throw new IllegalStateException("tensor " + e.name() + " declared twice");
        }
        return found;
    }

    /** The declared tensor {@code name} (canonical name), its shape checked against the config. */
    public WeightTensor tensor(String name) {
        if (declared == null) declared = checkDeclared();
        WeightTensor t = declared.get(name);
        if (t == null) {
            throw new IllegalStateException("tensor " + name + " is read but not declared in ArchitectureLayout,"
                    + " so akvq inspect would not check it");
        }
        taken.add(name);
        return t;
    }

    /** A declared {@code [rows, cols]} weight matrix, mapped in its stored dtype. */
    public MatrixView matrix(String name) {
        return tensor(name).asMatrix();
    }

    /** A declared vector (norm weight, bias) widened to float. */
    public float[] vector(String name) {
        return tensor(name).toFloatArray();
    }

    /** A bias the config says is {@code present} (and the layout then declares), or empty. */
    public Optional<float[]> bias(boolean present, String name) {
        return present ? Optional.of(vector(name)) : Optional.empty();
    }

    /**
     * A declared tensor the forward pass does not apply, as transformers loads it without using it
     * on this path (CLIP's post_layernorm feeds only the pooled output LLaVA never reads): checked
     * like every other, not read.
     */
    public void notApplied(String name) {
        tensor(name);
    }

    /** The directory of the checkpoint. */
    public Path directory() {
        return checkpoint.directory();
    }

    /** Canonical names taken so far. */
    public Set<String> taken() {
        return Set.copyOf(taken);
    }

    /** Throws unless every declared tensor was taken: the loaders read exactly what inspect checks. */
    public void requireAllTaken() {
        if (taken.size() == expected.size()) return;
        List<String> left = expected.stream().map(ExpectedTensor::name).filter(n -> !taken.contains(n)).toList();
        throw new IllegalStateException(left.size() + " tensor(s) declared in ArchitectureLayout but not read by the loader: "
                + left.subList(0, Math.min(5, left.size())) + (left.size() > 5 ? " ..." : ""));
    }
}
