package dev.akvq.cli;

import dev.akvq.model.layout.CheckpointLayout;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.NonFiniteScan;
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
 * Exit 0 when every expected tensor is present with its shape and a float dtype, every stored
 * tensor is read (unless --allow-unused-weights) and every float value is finite; 1 otherwise.
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
                holds with another shape. Reads every stored float once to find NaN and infinite
                values (each named with its tensor and element). Tensors the architecture does not
                read (config.json saying fewer layers than the weights hold, say) are an error, as
                they are for run, trace and eval. Exits 1 on any of these.

                Options:
                  --model DIR              a Hugging Face model directory
                  --allow-unused-weights   list tensors the architecture does not read, without failing

                Examples:
                  akvq inspect --model tests/src/test/resources/fixtures/models/llava
                  akvq inspect --model ~/models/SmolVLM-256M-Instruct
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("model"), Set.of("allow-unused-weights"));
        return inspect(flags.existingDirectory("model"), flags.has("allow-unused-weights"), out, err);
    }

    static int inspect(Path dir, boolean allowUnused, PrintStream out, PrintStream err) {
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
            long start = System.nanoTime();
            List<String> nonFinite = nonFinite(checkpoint);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("values        %s of floats read in %.2f s (%.1f GB/s): %s%n", bytes(report.bytes()), seconds,
                    report.bytes() / 1e9 / Math.max(seconds, 1e-9), nonFinite.isEmpty() ? "all finite"
                            : nonFinite.size() + " tensor" + (nonFinite.size() == 1 ? "" : "s") + " with NaN or infinite values");
            if (report.problems().isEmpty()) {
                out.printf("layout        all %d expected tensors present with the expected shapes%n", report.expected());
            }
            List<String> problems = new ArrayList<>(report.problems());
            problems.addAll(nonFinite);
            if (!allowUnused && !report.unused().isEmpty()) {
                problems.add(report.unused().size() + " tensors not read by the architecture config.json describes (listed above);"
                        + " --allow-unused-weights accepts them");
            }
            if (problems.isEmpty()) return 0;
            for (int i = 0; i < Math.min(MAX_LISTED, problems.size()); i++) err.println("problem       " + problems.get(i));
            if (problems.size() > MAX_LISTED) err.println("problem       ... and " + (problems.size() - MAX_LISTED) + " more");
            err.printf("akvq inspect: %s cannot be loaded: %d problem%s (%d of %d expected tensors missing or wrong, %d with non-finite values,"
                    + " %d unused)%n", dir, problems.size(), problems.size() == 1 ? "" : "s", report.problems().size(), report.expected(),
                    nonFinite.size(), allowUnused ? 0 : report.unused().size());
            return 1;
        }
    }

    /** Each float tensor holding a NaN or infinity, with its first such element: one read of the mapped bytes. */
    static List<String> nonFinite(Checkpoint checkpoint) {
        List<String> found = new ArrayList<>();
        for (WeightTensor t : checkpoint.tensors()) {
            long at = NonFiniteScan.firstIndex(t.data(), t.dtype());
            if (at < 0) continue;
            float value = t.dtype() == DType.F32 ? t.data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                    .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4 * at) : Float.NaN;
            found.add("non-finite " + t.name() + " " + Arrays.toString(t.shape()) + " " + t.dtype() + ": element " + at
                    + (t.dtype() == DType.F32 ? " is " + value : " is NaN or infinite") + " (" + t.source().getFileName() + ")");
        }
        return found;
    }

    /** What inspect found: counts, and each expected tensor that is missing or wrong. */
    record Report(int expected, List<String> problems, List<String> unused, long parameters, long bytes,
                  String dtypeCounts, String componentCounts) {}

    static Report check(ModelConfig config, Checkpoint checkpoint) {
        CheckpointLayout layout = CheckpointLayout.check(config, checkpoint);
        Map<DType, Integer> perDtype = new TreeMap<>();
        long parameters = 0, bytes = 0;
        for (WeightTensor t : checkpoint.tensors()) {
            perDtype.merge(t.dtype(), 1, Integer::sum);
            parameters += t.elementCount();
            bytes += t.byteSize();
        }
        StringBuilder dtypes = new StringBuilder();
        perDtype.forEach((d, n) -> dtypes.append(dtypes.isEmpty() ? "" : ", ").append(d).append(": ").append(n));
        StringBuilder components = new StringBuilder();
        layout.perComponent().forEach((c, n) -> components.append(components.isEmpty() ? "" : ", ").append(c).append(" ")
                .append(String.format("%,d", n)));
        return new Report(layout.expected(), layout.problems(), layout.unused(), parameters, bytes, dtypes.toString(), components.toString());
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
