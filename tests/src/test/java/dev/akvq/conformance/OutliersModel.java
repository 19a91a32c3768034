package dev.akvq.conformance;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.SafetensorsWriter;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code llava-shapes-outliers} made in the test from {@code llava-shapes} and the fixture's
 * {@code outliers.json} (its README: every key pair (i, i + head_dim/2) of a KV head scaled by s in
 * k_proj and by 1/s in the q_proj rows of every query head reading it; every value channel c scaled
 * by s in v_proj and by 1/s in the matching o_proj columns). The JSON's scales are rounded to three
 * decimals, so the weights are not byte for byte the shared fixture's; the function is the same
 * (up to float rounding), which is what the tests need: a model with the KV statistics of trained
 * LLMs whose FP32 answers are llava-shapes' own. Saves 32 MB of repository.
 */
final class OutliersModel {
    private OutliersModel() {}

    private static Path made;

    /** The derived model folder (made once per test JVM). */
    static synchronized Path directory() {
        if (made != null) return made;
        try {
            Path source = Fixtures.model("llava-shapes"), dir = Files.createTempDirectory("llava-shapes-outliers");
            dir.toFile().deleteOnExit();
            try (var files = Files.list(source)) {
                for (Path f : files.toList()) {
                    if (Files.isRegularFile(f) && !f.getFileName().toString().equals("model.safetensors")
                            && !f.getFileName().toString().startsWith("goldens")) {
                        Files.copy(f, dir.resolve(f.getFileName()));
                    }
                }
            }
            derive(source.resolve("model.safetensors"), Fixtures.model("llava-shapes-outliers").resolve("outliers.json"),
                    dir.resolve("model.safetensors"));
            dir.resolve("model.safetensors").toFile().deleteOnExit();
            made = dir;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void derive(Path weights, Path outliersJson, Path out) {
        JsonObject config = Json.readObjectFile(weights.resolveSibling("config.json")).requireObject("text_config");
        int headDim = config.requireInt("head_dim"), heads = config.requireInt("num_attention_heads");
        int kvHeads = config.requireInt("num_key_value_heads"), hidden = config.requireInt("hidden_size");
        int group = heads / kvHeads;
        JsonArray layers = Json.readObjectFile(outliersJson).requireArray("layers");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            java.util.Map<String, float[]> changed = new java.util.HashMap<>();
            for (int i = 0; i < layers.size(); i++) {
                JsonObject layer = (JsonObject) layers.get(i);
                String prefix = "language_model.model.layers." + layer.requireInt("layer") + ".self_attn.";
                float[] q = tensor(file, changed, prefix + "q_proj.weight"), k = tensor(file, changed, prefix + "k_proj.weight");
                float[] v = tensor(file, changed, prefix + "v_proj.weight"), o = tensor(file, changed, prefix + "o_proj.weight");
                JsonArray headList = layer.requireArray("heads");
                for (int j = 0; j < headList.size(); j++) {
                    JsonObject head = (JsonObject) headList.get(j);
                    int h = head.requireInt("kv_head");
                    for (float[] pair : pairs(head.requireArray("key_pairs"))) {
                        int c = (int) pair[0];
                        for (int channel : new int[] {c, c + headDim / 2}) {
                            scaleRow(k, h * headDim + channel, hidden, pair[1]);
                            for (int qh = h * group; qh < (h + 1) * group; qh++) scaleRow(q, qh * headDim + channel, hidden, 1 / pair[1]);
                        }
                    }
                    for (float[] pair : pairs(head.requireArray("value_channels"))) {
                        int c = (int) pair[0];
                        scaleRow(v, h * headDim + c, hidden, pair[1]);
                        for (int qh = h * group; qh < (h + 1) * group; qh++) {
                            for (int row = 0; row < hidden; row++) o[row * heads * headDim + qh * headDim + c] /= pair[1];
                        }
                    }
                }
            }
            for (WeightTensor t : file.tensors()) {
                float[] data = changed.containsKey(t.name()) ? changed.get(t.name()) : t.toFloatArray();
                writer.f32(t.name(), data, t.shape());
            }
        }
        writer.write(out);
    }

    private static float[] tensor(SafetensorsFile file, java.util.Map<String, float[]> changed, String name) {
        return changed.computeIfAbsent(name, n -> file.require(n).toFloatArray());
    }

    private static float[][] pairs(JsonArray array) {
        float[][] out = new float[array.size()][];
        for (int i = 0; i < array.size(); i++) {
            JsonArray p = (JsonArray) array.get(i);
            out[i] = new float[] {(float) ((JsonNumber) p.get(0)).doubleValue(), (float) ((JsonNumber) p.get(1)).doubleValue()};
        }
        return out;
    }

    private static void scaleRow(float[] w, int row, int columns, float s) {
        for (int c = 0; c < columns; c++) w[row * columns + c] *= s;
    }
}
