package dev.akvq.weights;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory, as one name-to-tensor view over one or more
 * memory-mapped safetensors files. {@link #open} looks, in the order transformers'
 * {@code from_pretrained} does (modeling_utils.py, SAFE_WEIGHTS_NAME before
 * SAFE_WEIGHTS_INDEX_NAME), for:
 * <ol>
 *   <li>{@code model.safetensors};</li>
 *   <li>{@code model.safetensors.index.json}, whose {@code weight_map} maps each tensor name to
 *       a shard file in the same directory; each shard is opened once, every name must exist in
 *       its shard, and a shard name must not leave the directory (no absolute paths, no
 *       {@code ..});</li>
 *   <li>failing both, the directory's only {@code *.safetensors} file.</li>
 * </ol>
 * The shard check is on the name only: symbolic links are followed, because the Hugging Face
 * cache links every file of a snapshot to {@code ../../blobs/<hash>}.
 * For a sharded checkpoint the index is the list of tensors: a tensor a shard holds but the
 * index does not name is not visible, as transformers would not load it either.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, WeightTensor> tensors;

    private Checkpoint(Path directory, List<SafetensorsFile> files, Map<String, WeightTensor> tensors) {
        this.directory = directory;
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Opens the checkpoint in {@code dir}.
     *
     * @throws WeightsFormatException naming the directory and the files looked for, or the file
     *         and tensor at fault
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new WeightsFormatException(dir + ": not a directory; expected a model directory holding "
                    + SINGLE_FILE + " or " + INDEX_FILE);
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return ofFiles(dir, List.of(single), null);
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) return openSharded(dir, index);

        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) candidates.add(p);
            }
        } catch (IOException e) {
            throw new WeightsFormatException(dir + ": cannot list the directory: " + e, e);
        }
        if (candidates.size() == 1) return ofFiles(dir, candidates, null);
        Collections.sort(candidates);
        throw new WeightsFormatException(dir + ": no weights found: looked for " + SINGLE_FILE + ", then " + INDEX_FILE
                + ", then a single *.safetensors file; found "
                + (candidates.isEmpty() ? "no *.safetensors file"
                        : candidates.size() + " *.safetensors files " + candidates.stream()
                                .map(p -> p.getFileName().toString()).toList() + " and cannot tell which holds the model"));
    }

    private static Checkpoint openSharded(Path dir, Path indexPath) {
        JsonObject index = Json.readObjectFile(indexPath);
        JsonObject weightMap = index.requireObject("weight_map");
        Path root = dir.toAbsolutePath().normalize();
        Map<String, String> nameToShard = new LinkedHashMap<>();
        Map<String, Path> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> e : weightMap.members().entrySet()) {
            if (!(e.getValue() instanceof JsonString s)) {
                throw weightMap.fieldError(e.getKey(), "expected a shard file name, found " + e.getValue().describe());
            }
            String shard = s.value();
            if (!shards.containsKey(shard)) {
                shards.put(shard, shardPath(root, shard, weightMap, e.getKey()));
            }
            nameToShard.put(e.getKey(), shard);
        }
        if (nameToShard.isEmpty()) {
            throw new WeightsFormatException(indexPath + ": weight_map is empty; expected tensor name to shard file"
                    + " entries");
        }
        return ofFiles(dir, List.copyOf(shards.values()), new Sharding(indexPath, nameToShard, shards));
    }

    private static Path shardPath(Path root, String shard, JsonObject weightMap, String tensor) {
        Path p;
        try {
            p = Path.of(shard);
        } catch (RuntimeException invalid) {
            throw weightMap.fieldError(tensor, "shard \"" + shard + "\" is not a valid file name");
        }
        Path resolved = root.resolve(p).normalize();
        if (shard.isEmpty() || p.isAbsolute() || shard.startsWith("/") || shard.startsWith("\\")
                || !resolved.startsWith(root) || resolved.equals(root)) {
            throw weightMap.fieldError(tensor, "shard \"" + shard + "\" is outside the model directory " + root
                    + "; shard names must be file names inside it");
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                throw weightMap.fieldError(tensor, "shard \"" + shard + "\" contains \"..\"; shard names must be"
                        + " file names inside the model directory");
            }
        }
        if (!Files.isRegularFile(resolved)) {
            throw weightMap.fieldError(tensor, "shard file " + resolved + " does not exist");
        }
        return resolved;
    }

    /** A read index: tensor name to shard name, shard name to its resolved path. */
    private record Sharding(Path index, Map<String, String> nameToShard, Map<String, Path> shards) {
    }

    /**
     * Opens {@code paths}; with a {@code sharding} only the indexed names are exposed. Closes
     * what it opened if anything fails.
     */
    private static Checkpoint ofFiles(Path dir, List<Path> paths, Sharding sharding) {
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
            for (Path p : paths) {
                SafetensorsFile f = SafetensorsFile.open(p);
                opened.add(f);
                byPath.put(p, f);
            }
            Map<String, WeightTensor> tensors = new LinkedHashMap<>();
            if (sharding == null) {
                for (SafetensorsFile f : opened) {
                    for (WeightTensor t : f.tensors()) tensors.put(t.name(), t);
                }
            } else {
                for (Map.Entry<String, String> e : sharding.nameToShard().entrySet()) {
                    SafetensorsFile f = byPath.get(sharding.shards().get(e.getValue()));
                    WeightTensor t = f.find(e.getKey()).orElseThrow(() -> new WeightsFormatException(sharding.index()
                            + ": weight_map puts tensor \"" + e.getKey() + "\" in " + e.getValue()
                            + ", but that shard has no such tensor"));
                    tensors.put(e.getKey(), t);
                }
            }
            return new Checkpoint(dir, opened, tensors);
        } catch (RuntimeException e) {
            for (SafetensorsFile f : opened) f.close();
            throw e;
        }
    }

    public Path directory() {
        return directory;
    }

    /** The safetensors files opened, each once. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor: file order then header order, or index order for a sharded checkpoint. */
    public List<WeightTensor> tensors() {
        return List.copyOf(tensors.values());
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public Optional<WeightTensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor, or an error naming the directory and the tensor. */
    public WeightTensor require(String name) {
        WeightTensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsFormatException(directory + ": checkpoint has no tensor \"" + name + "\" (it holds "
                    + tensors.size() + " tensors in " + files.size() + " file(s))");
        }
        return t;
    }

    /** The tensor with the given shape, or an error naming the tensor, the expected and the found shape. */
    public WeightTensor require(String name, long... shape) {
        WeightTensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsFormatException(directory + ": checkpoint has no tensor \"" + name + "\" (expected shape "
                    + Arrays.toString(shape) + ")");
        }
        return t.requireShape(shape);
    }

    /** Unmaps every file. */
    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
