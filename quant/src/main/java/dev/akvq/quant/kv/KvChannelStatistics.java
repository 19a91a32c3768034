package dev.akvq.quant.kv;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Per layer, KV head and channel, the largest |key|, |query| and |value| seen in FP32 on
 * calibration prompts (post-RoPE keys and queries, as the cache sees them; a query channel is the
 * largest over the query heads that share the KV head). {@code akvq calibrate} writes it as
 * {@value #FILE_NAME} next to the model; the baselines that need calibration read it:
 * <ul>
 *   <li>{@code smoothquant}: per-channel key divisors {@code s_c = max|K_c|^α / max|Q_c|^(1−α)}
 *       (SmoothQuant, arXiv 2211.10438, Eq. 4, applied to the K cache: K/s and Q·s);</li>
 *   <li>{@code skvq}: the channel order that sorts each head's channels by range, so that each
 *       quantization group holds channels of similar range (SKVQ, arXiv 2405.06219, Sec. 3.1).</li>
 * </ul>
 */
public final class KvChannelStatistics {
    public static final String FILE_NAME = "akvq-kv-channels.json";

    private final int layers, kvHeads, headDim;
    private final float[][] keyMax, queryMax, valueMax;    // [layer][head * headDim + channel]

    public KvChannelStatistics(int layers, int kvHeads, int headDim) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        keyMax = new float[layers][kvHeads * headDim];
        queryMax = new float[layers][kvHeads * headDim];
        valueMax = new float[layers][kvHeads * headDim];
    }

    public int layers() {
        return layers;
    }

    /** Records a layer's cached keys {@code [kvHeads, tokens, headDim]} (the trace's {@code kv.key.{l}}). */
    public void addKeys(int layer, float[] keys, int tokens) {
        addHeadMajor(keyMax[layer], keys, tokens);
    }

    /** Records a layer's cached values {@code [kvHeads, tokens, headDim]} (the trace's {@code kv.value.{l}}). */
    public void addValues(int layer, float[] values, int tokens) {
        addHeadMajor(valueMax[layer], values, tokens);
    }

    private synchronized void addHeadMajor(float[] max, float[] rows, int tokens) {
        checkLength(rows.length, (long) kvHeads * tokens * headDim);
        for (int h = 0; h < kvHeads; h++) {
            for (int t = 0; t < tokens; t++) {
                for (int c = 0; c < headDim; c++) {
                    int i = h * headDim + c;
                    max[i] = Math.max(max[i], Math.abs(rows[(h * tokens + t) * headDim + c]));
                }
            }
        }
    }

    /**
     * Records a layer's post-RoPE queries {@code [tokens, heads, headDim]} (the trace's
     * {@code attn_query.{l}}); query head {@code qh} reads KV head {@code qh / (heads / kvHeads)}.
     */
    public synchronized void addQueries(int layer, float[] queries, int tokens, int heads) {
        checkLength(queries.length, (long) tokens * heads * headDim);
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++) {
            for (int qh = 0; qh < heads; qh++) addQuery(layer, qh / group, queries, (t * heads + qh) * headDim);
        }
    }

    private void checkLength(int length, long expected) {
        if (length != expected) throw new IllegalArgumentException("KV channel statistics: " + length + " floats, expected " + expected);
    }

    /** Records one query head's query that reads KV head {@code kvHead} of {@code layer}. */
    private void addQuery(int layer, int kvHead, float[] query, int offset) {
        for (int c = 0; c < headDim; c++) {
            int i = kvHead * headDim + c;
            queryMax[layer][i] = Math.max(queryMax[layer][i], Math.abs(query[offset + c]));
        }
    }

    /** The model shape these statistics were measured on; an error naming the file's and the model's otherwise. */
    public KvChannelStatistics checkShape(int layers, int kvHeads, int headDim) {
        if (layers != this.layers || kvHeads != this.kvHeads || headDim != this.headDim) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "KV channel calibration holds %d layers x %d KV heads x"
                    + " head_dim %d, the model has %d x %d x %d. HINT: run akvq calibrate --model DIR --save on this model",
                    this.layers, this.kvHeads, this.headDim, layers, kvHeads, headDim));
        }
        return this;
    }

    /**
     * SmoothQuant's key divisors of one layer: {@code s_c = max|K_c|^α / max|Q_c|^(1−α)}, 1 where a
     * channel never saw a non-zero key or query.
     */
    public float[] smoothingDivisors(int layer, float alpha) {
        float[] s = new float[kvHeads * headDim];
        for (int i = 0; i < s.length; i++) {
            double k = keyMax[layer][i], q = queryMax[layer][i];
            double v = k > 0 && q > 0 ? Math.pow(k, alpha) / Math.pow(q, 1 - alpha) : 1;
            s[i] = Double.isFinite(v) && v > 0 ? (float) v : 1f;
        }
        return s;
    }

    /** Per head, the channels sorted by decreasing range (keys or values): {@code order[h][i]} is the channel stored at position i. */
    public int[][] channelOrder(int layer, boolean keys) {
        float[] max = keys ? keyMax[layer] : valueMax[layer];
        int[][] order = new int[kvHeads][];
        for (int h = 0; h < kvHeads; h++) {
            int base = h * headDim;
            order[h] = IntStream.range(0, headDim).boxed()
                    .sorted(Comparator.comparingDouble((Integer c) -> -max[base + c]).thenComparingInt(c -> c))
                    .mapToInt(Integer::intValue).toArray();
        }
        return order;
    }

    /** max over channels / median channel of |key| per layer and head: how outlier-heavy the keys are. */
    public double keyOutlierRatio(int layer, int head) {
        float[] row = Arrays.copyOfRange(keyMax[layer], head * headDim, (head + 1) * headDim);
        Arrays.sort(row);
        return row[headDim - 1] / Math.max(row[headDim / 2], Float.MIN_NORMAL);
    }

    /** The statistics next to a model ({@value #FILE_NAME}), if calibrated. */
    public static Optional<KvChannelStatistics> findNextTo(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(read(file)) : Optional.empty();
    }

    public static KvChannelStatistics read(Path file) {
        JsonObject root = Json.readObjectFile(file);
        int kvHeads = root.requireInt("kv_heads"), headDim = root.requireInt("head_dim");
        JsonArray array = root.requireArray("layers");
        if (kvHeads < 1 || headDim < 1 || array.size() == 0) {
            throw new WeightsFormatException(file + ": kv_heads, head_dim and layers must be positive / non-empty");
        }
        KvChannelStatistics s = new KvChannelStatistics(array.size(), kvHeads, headDim);
        for (int l = 0; l < array.size(); l++) {
            if (!(array.get(l) instanceof JsonObject layer)) throw new WeightsFormatException(file + ": layers[" + l + "] is not an object");
            s.keyMax[l] = floats(file, layer, "key_max", l, kvHeads * headDim);
            s.queryMax[l] = floats(file, layer, "query_max", l, kvHeads * headDim);
            s.valueMax[l] = floats(file, layer, "value_max", l, kvHeads * headDim);
        }
        return s;
    }

    private static float[] floats(Path file, JsonObject layer, String key, int l, int n) {
        JsonArray a = layer.requireArray(key);
        if (a.size() != n) throw new WeightsFormatException(file + ": layers[" + l + "]." + key + " has " + a.size() + " numbers, expected " + n);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            if (!(a.get(i) instanceof JsonNumber v) || !(v.doubleValue() >= 0) || !Double.isFinite(v.doubleValue())) {
                throw new WeightsFormatException(file + ": layers[" + l + "]." + key + "[" + i + "] is " + a.get(i).describe()
                        + "; expected a finite number >= 0");
            }
            out[i] = (float) v.doubleValue();
        }
        return out;
    }

    public void write(Path file, String source) {
        StringBuilder b = new StringBuilder("{\n  \"source\": \"").append(source.replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\",\n  \"kv_heads\": ").append(kvHeads).append(",\n  \"head_dim\": ").append(headDim).append(",\n  \"layers\": [");
        for (int l = 0; l < layers; l++) {
            b.append(l == 0 ? "\n" : ",\n").append("    {").append(array("key_max", keyMax[l])).append(", ")
                    .append(array("query_max", queryMax[l])).append(", ").append(array("value_max", valueMax[l])).append('}');
        }
        b.append("\n  ]\n}\n");
        try {
            Files.writeString(file, b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the KV channel calibration " + file + ": " + e.getMessage(), e);
        }
    }

    private static String array(String name, float[] v) {
        List<String> parts = new ArrayList<>(v.length);
        for (float x : v) parts.add(String.format(Locale.ROOT, "%.6g", x));
        return "\"" + name + "\": [" + String.join(", ", parts) + "]";
    }
}
