package dev.akvq.model.layout;

import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.config.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A checkpoint against what its architecture reads ({@link ArchitectureLayout}): every expected
 * tensor present with its shape and a float dtype, and every stored tensor read by someone.
 *
 * <p>A tensor nobody reads is what transformers reports as "Some weights of the model checkpoint
 * were not used" (modeling_utils.py at 241c04d3, the unexpected keys): most often a config.json
 * that says fewer layers, a smaller vocabulary or another family than the weights hold, which
 * would otherwise run quietly on part of the model. It is an error unless the caller allows it.
 * Not counted as unused, as transformers does not warn about them either: a tied model's stored
 * {@code lm_head.weight} (tied over at load) and RoPE's {@code rotary_emb.inv_freq} buffers,
 * which older checkpoints saved and every reader recomputes.
 *
 * @param found the canonical names of the expected tensors the checkpoint holds (under either
 *              naming), which the loaders read through the same declaration
 */
public record CheckpointLayout(int expected, List<String> problems, List<String> unused, Map<String, Long> perComponent,
                               Set<String> found) {

    /** Unused tensors named in an error before the rest are counted. */
    private static final int LISTED = 5;

    public static CheckpointLayout check(ModelConfig config, Checkpoint checkpoint) {
        List<ExpectedTensor> expected = ArchitectureLayout.of(config);
        CheckpointNaming naming = new CheckpointNaming(name -> checkpoint.find(name).isPresent());
        List<String> problems = new ArrayList<>();
        Set<String> read = new HashSet<>(), found = new LinkedHashSet<>();
        Map<String, Long> perComponent = new LinkedHashMap<>();
        for (ExpectedTensor e : expected) {
            Optional<String> stored = naming.resolve(e.name());
            if (stored.isEmpty()) {
                problems.add("missing " + e.name() + " " + Arrays.toString(e.shape()));
                continue;
            }
            WeightTensor t = checkpoint.require(stored.get());
            read.add(stored.get());
            found.add(e.name());
            if (!e.hasShape(t.shape())) {
                problems.add("shape of " + stored.get() + ": expected " + Arrays.toString(e.shape())
                        + " from config.json, found " + Arrays.toString(t.shape()));
            } else if (!t.dtype().isFloatWeight()) {
                problems.add("dtype of " + stored.get() + ": expected F32, BF16 or F16, found " + t.dtype());
            }
            perComponent.merge(e.component(), t.elementCount(), Long::sum);
        }
        boolean tied = config.textConfig().tieWordEmbeddings();
        List<String> unused = new ArrayList<>();
        for (WeightTensor t : checkpoint.tensors()) {
            if (!read.contains(t.name()) && !ignoredLikeTransformers(t.name(), tied)) unused.add(t.name());
        }
        return new CheckpointLayout(expected.size(), List.copyOf(problems), List.copyOf(unused), perComponent, Set.copyOf(found));
    }

    private static boolean ignoredLikeTransformers(String name, boolean tied) {
        return name.endsWith("rotary_emb.inv_freq") || (tied && name.endsWith("lm_head.weight"));
    }

    /**
     * Throws unless every stored tensor is read or {@code allowUnused}: the loader's check (missing
     * and mis-shaped tensors are reported by the families as they read them). The message names
     * the directory, the first unused tensors and what to do.
     */
    public void requireAllRead(Path dir, boolean allowUnused) {
        if (unused.isEmpty() || allowUnused) return;
        List<String> named = unused.subList(0, Math.min(LISTED, unused.size()));
        throw new WeightsFormatException(dir + ": " + unused.size() + " tensor" + (unused.size() == 1 ? " is" : "s are")
                + " not read by the architecture config.json describes (" + String.join(", ", named)
                + (unused.size() > LISTED ? ", ..." : "") + "): config.json may say fewer layers or another model than the"
                + " weights hold. HINT: check config.json, or pass --allow-unused-weights to run on the tensors it names");
    }
}
