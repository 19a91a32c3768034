package dev.akvq.cli;

import dev.akvq.model.layout.ArchitectureLayout;
import dev.akvq.model.layout.CheckpointNaming;
import dev.akvq.model.layout.ExpectedTensor;
import dev.akvq.tensor.DType;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ModelConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code akvq inspect}: what a checkpoint holds, checked against what its architecture reads.
 * Exit 0 when every expected tensor is present with its shape and a float dtype; 1 otherwise.
 */
final class InspectCommand implements Command {
    /** Missing or mis-shaped tensors listed before the rest are summarised as a count. */
    private static final int MAX_LISTED = 20;

    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String summary() {
        return "what a checkpoint holds; non-zero exit if it cannot load";
    }

    @Override
    public String help() {
        return """
                akvq inspect: what a checkpoint holds, checked against its architecture

                Usage: akvq inspect --model DIR

                Reads DIR/config.json and the weights (model.safetensors, a sharded
                model.safetensors.index.json, or the directory's only *.safetensors), memory-mapped.
                Prints the architecture, the files, tensor and parameter counts per dtype and per
                component, and every tensor the architecture expects but the checkpoint lacks or
                holds with another shape. Exits 1 if the checkpoint cannot be loaded.

                Options:
                  --model DIR   a Hugging Face model directory

                Examples:
                  akvq inspect --model tests/src/test/resources/fixtures/models/llava
                  akvq inspect --model ~/models/SmolVLM-256M-Instruct
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("model"), Set.of());
        return inspect(flags.existingDirectory("model"), out, err);
    }

    static int inspect(Path dir, PrintStream out, PrintStream err) {
        ModelConfig config = ModelConfig.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            Report report = check(config, checkpoint);
            out.printf("checkpoint    %s%n", dir);
            out.printf("architecture  %s%n", describe(config));
            for (SafetensorsFile file : checkpoint.files()) {
                out.printf("file          %s (%s)%n", file.path().getFileName(), bytes(file.path().toFile().length()));
            }
            out.printf("tensors       %d (%s)%n", checkpoint.tensors().size(), report.dtypeCounts());
            out.printf("parameters    %,d (%s)%n", report.parameters(), report.componentCounts());
            out.printf("bytes         %,d (%s)%n", report.bytes(), bytes(report.bytes()));
            report.unused().forEach(n -> out.printf("unused        %s (not read by this architecture)%n", n));
            if (report.problems().isEmpty()) {
                out.printf("layout        all %d expected tensors present with the expected shapes%n", report.expected());
                return 0;
            }
            for (int i = 0; i < Math.min(MAX_LISTED, report.problems().size()); i++) {
                err.println("problem       " + report.problems().get(i));
            }
            if (report.problems().size() > MAX_LISTED) {
                err.println("problem       ... and " + (report.problems().size() - MAX_LISTED) + " more");
            }
            err.printf("akvq inspect: %s cannot be loaded: %d of %d expected tensors are missing or wrong%n",
                    dir, report.problems().size(), report.expected());
            return 1;
        }
    }

    /** What inspect found: counts, and each expected tensor that is missing or wrong. */
    record Report(int expected, List<String> problems, List<String> unused, long parameters, long bytes,
                  String dtypeCounts, String componentCounts) {}

    static Report check(ModelConfig config, Checkpoint checkpoint) {
        List<ExpectedTensor> expected = ArchitectureLayout.of(config);
        CheckpointNaming naming = new CheckpointNaming(name -> checkpoint.find(name).isPresent());
        List<String> problems = new ArrayList<>();
        Set<String> read = new HashSet<>();
        Map<String, Long> perComponent = new LinkedHashMap<>();
        for (ExpectedTensor e : expected) {
            Optional<String> stored = naming.resolve(e.name());
            if (stored.isEmpty()) {
                problems.add("missing " + e.name() + " " + Arrays.toString(e.shape()));
                continue;
            }
            WeightTensor t = checkpoint.require(stored.get());
            read.add(stored.get());
            if (!e.hasShape(t.shape())) {
                problems.add("shape of " + stored.get() + ": expected " + Arrays.toString(e.shape())
                        + " from config.json, found " + Arrays.toString(t.shape()));
            } else if (!t.dtype().isFloatWeight()) {
                problems.add("dtype of " + stored.get() + ": expected F32, BF16 or F16, found " + t.dtype());
            }
            perComponent.merge(e.component(), t.elementCount(), Long::sum);
        }
        Map<DType, Integer> perDtype = new TreeMap<>();
        long parameters = 0, bytes = 0;
        List<String> unused = new ArrayList<>();
        for (WeightTensor t : checkpoint.tensors()) {
            perDtype.merge(t.dtype(), 1, Integer::sum);
            parameters += t.elementCount();
            bytes += t.byteSize();
            if (!read.contains(t.name())) unused.add(t.name());
        }
        StringBuilder dtypes = new StringBuilder();
        perDtype.forEach((d, n) -> dtypes.append(dtypes.isEmpty() ? "" : ", ").append(d).append(": ").append(n));
        StringBuilder components = new StringBuilder();
        perComponent.forEach((c, n) -> components.append(components.isEmpty() ? "" : ", ").append(c).append(" ")
                .append(String.format("%,d", n)));
        return new Report(expected.size(), problems, unused, parameters, bytes, dtypes.toString(), components.toString());
    }

    private static String describe(ModelConfig config) {
        var t = config.textConfig();
        return String.format("%s, decoder %s: %d layers, hidden %d, %d heads / %d KV heads, head_dim %d, vocab %d%s",
                config.modelType(), t.modelType(), t.numHiddenLayers(), t.hiddenSize(), t.numAttentionHeads(),
                t.numKeyValueHeads(), t.headDim(), t.vocabSize(), t.tieWordEmbeddings() ? ", tied lm_head" : "");
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format("%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format("%.1f MiB", n / (1024.0 * 1024));
        return String.format("%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
