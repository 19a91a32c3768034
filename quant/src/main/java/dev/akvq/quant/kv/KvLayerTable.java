package dev.akvq.quant.kv;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which layers are TSA and which PSA (docs/akvq-vl.md, "Precision table"). Layers {@code 0 .. explicit.size()-1} take
 * their listed pattern; later layers take {@code rest}, or are an error when {@code rest} is empty
 * (a table read from a file must cover the whole model).
 *
 * <p>The file form, {@code akvq-layers.json} next to the model or given by {@code --kv-layers}:
 * <pre>{"layers": ["TSA", "TSA", "PSA", ...]}</pre>
 * one entry per decoder layer (other members, e.g. {@code "source"} and the calibration means, are
 * ignored on reading).
 *
 * @param name     where the table came from (a preset name or a file), for messages
 * @param explicit patterns of the first layers
 * @param rest     pattern of every later layer
 */
public record KvLayerTable(String name, List<LayerPattern> explicit, Optional<LayerPattern> rest) {
    /** The file a model directory may hold its table in. */
    public static final String FILE_NAME = "akvq-layers.json";

    /** LLaVA-1.5-7B/13B and LLaVA-1.6-Vicuna-7B as published: layers 0-1 TSA, the rest PSA. The default (docs/akvq-vl.md, "Precision table"). */
    public static final KvLayerTable LLAVA_15 = new KvLayerTable("llava-1.5", List.of(LayerPattern.TSA, LayerPattern.TSA),
            Optional.of(LayerPattern.PSA));
    /** LLaVA-1.6-Mistral-7B as published: every layer PSA. */
    public static final KvLayerTable LLAVA_16_MISTRAL = new KvLayerTable("llava-1.6-mistral", List.of(), Optional.of(LayerPattern.PSA));
    /** The default for a model without a table (docs/akvq-vl.md): the LLaVA-1.5 rows. */
    public static final KvLayerTable DEFAULT = LLAVA_15;

    public KvLayerTable {
        explicit = List.copyOf(explicit);
        if (explicit.isEmpty() && rest.isEmpty()) throw new IllegalArgumentException("KvLayerTable " + name + ": no layers");
    }

    /** The documented presets by name: llava-1.5 (also llava-1.6-vicuna) and llava-1.6-mistral. */
    public static Optional<KvLayerTable> preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "llava-1.5", "llava-1.5-7b", "llava-1.5-13b", "llava-1.6-vicuna", "llava-1.6-vicuna-7b" -> Optional.of(LLAVA_15);
            case "llava-1.6-mistral", "llava-1.6-mistral-7b" -> Optional.of(LLAVA_16_MISTRAL);
            default -> Optional.empty();
        };
    }

    /** A table of exactly these patterns, one per layer. */
    public static KvLayerTable of(String name, List<LayerPattern> layers) {
        return new KvLayerTable(name, layers, Optional.empty());
    }

    public LayerPattern pattern(int layer) {
        if (layer < 0) throw new IllegalArgumentException("layer " + layer + " < 0");
        if (layer < explicit.size()) return explicit.get(layer);
        return rest.orElseThrow(() -> new IllegalArgumentException("layer table " + name + " lists " + explicit.size()
                + " layers; layer " + layer + " has no pattern. HINT: give one entry per decoder layer"));
    }

    /** Checks the table covers a model of {@code layers} layers (a file must list exactly that many). */
    public KvLayerTable checkCovers(int layers) {
        if (rest.isEmpty() && explicit.size() != layers) {
            throw new IllegalArgumentException("layer table " + name + " lists " + explicit.size() + " layers, the model has "
                    + layers + ". HINT: one \"TSA\" or \"PSA\" per decoder layer");
        }
        return this;
    }

    /** Reads {@code {"layers": ["TSA", ...]}}; errors name the file and the entry. */
    public static KvLayerTable read(Path file) {
        JsonObject root = Json.readObjectFile(file);
        JsonArray array = root.requireArray("layers");
        List<LayerPattern> layers = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonValue v = array.get(i);
            String text = v instanceof JsonString s ? s.value().toUpperCase(Locale.ROOT) : "";
            if (!text.equals("TSA") && !text.equals("PSA")) {
                throw new WeightsFormatException(file + ": layers[" + i + "] is " + v.describe() + "; expected \"TSA\" or \"PSA\"");
            }
            layers.add(LayerPattern.valueOf(text));
        }
        if (layers.isEmpty()) throw new WeightsFormatException(file + ": \"layers\" is empty; expected one entry per decoder layer");
        return of(file.toString(), layers);
    }

    /** The table of a model directory: its {@code akvq-layers.json} if present. */
    public static Optional<KvLayerTable> findNextTo(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(read(file)) : Optional.empty();
    }

    /** Writes the table for {@code layers} layers, with a free-text source and optional extra JSON members. */
    public void write(Path file, int layers, String source, String extraMembers) {
        StringBuilder b = new StringBuilder("{\n  \"source\": \"").append(source.replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\",\n  \"layers\": [");
        for (int l = 0; l < layers; l++) b.append(l == 0 ? "" : ", ").append('"').append(pattern(l)).append('"');
        b.append("]");
        if (extraMembers != null && !extraMembers.isBlank()) b.append(",\n  ").append(extraMembers);
        b.append("\n}\n");
        try {
            Files.writeString(file, b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the layer table " + file + ": " + e.getMessage(), e);
        }
    }
}
