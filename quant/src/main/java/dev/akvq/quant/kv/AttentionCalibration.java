package dev.akvq.quant.kv;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The calibration statistic that labels a new model's layers TSA or PSA (docs/akvq-vl.md,
 * "Calibration"): run FP32 on a few prompts with images and, per layer, average the attention
 * each text key token and each vision key token receives, excluding the first
 * {@value #EXCLUDED_KEYS} key positions (the attention sinks). A layer is TSA while its text
 * mean exceeds its vision mean.
 *
 * <p>"Attention received" by key {@code j} is the mean of {@code p[h, i, j]} over heads {@code h}
 * and the query positions {@code i ≥ j} that can see it (causal); a layer's text (vision) mean is
 * the mean of that over its text (vision) key tokens, pooled over every prompt added.
 */
public final class AttentionCalibration {
    public static final int EXCLUDED_KEYS = 5;

    private final int layers;
    private final double[] textSum, visionSum;
    private final long[] textCount, visionCount;

    public AttentionCalibration(int layers) {
        this.layers = layers;
        textSum = new double[layers];
        visionSum = new double[layers];
        textCount = new long[layers];
        visionCount = new long[layers];
    }

    /**
     * Adds one prompt's attention of one layer.
     *
     * @param probabilities {@code [heads, n, n]}: row {@code i} of head {@code h} is query {@code i}'s distribution over keys
     * @param modality      {@code [n]}: each position's modality from the prompt builder
     */
    public void add(int layer, float[] probabilities, int heads, int n, Modality[] modality) {
        if (layer < 0 || layer >= layers) throw new IllegalArgumentException("calibration: layer " + layer + " of " + layers);
        if (probabilities.length != (long) heads * n * n || modality.length != n) {
            throw new IllegalArgumentException("calibration: expected probabilities [" + heads + ", " + n + ", " + n + "] and "
                    + n + " modalities, got " + probabilities.length + " and " + modality.length);
        }
        for (int j = EXCLUDED_KEYS; j < n; j++) {
            double received = 0;
            for (int h = 0; h < heads; h++) {
                for (int i = j; i < n; i++) received += probabilities[(h * n + i) * n + j];
            }
            received /= (double) heads * (n - j);
            if (modality[j] == Modality.VISION) {
                visionSum[layer] += received;
                visionCount[layer]++;
            } else {
                textSum[layer] += received;
                textCount[layer]++;
            }
        }
    }

    public double textMean(int layer) {
        return textSum[layer] / textCount[layer];
    }

    public double visionMean(int layer) {
        return visionSum[layer] / visionCount[layer];
    }

    /** The labels: TSA while the text mean exceeds the vision mean. Every layer needs text and vision key tokens. */
    public KvLayerTable table(String name) {
        List<LayerPattern> patterns = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (textCount[l] == 0 || visionCount[l] == 0) {
                throw new IllegalStateException("calibration: layer " + l + " saw " + textCount[l] + " text and " + visionCount[l]
                        + " vision key tokens past the first " + EXCLUDED_KEYS + "; calibrate on prompts with an image and text");
            }
            patterns.add(textMean(l) > visionMean(l) ? LayerPattern.TSA : LayerPattern.PSA);
        }
        return KvLayerTable.of(name, patterns);
    }

    /** Writes {@code akvq-layers.json} with the labels and both means per layer. */
    public void write(Path file, String source) {
        StringBuilder text = new StringBuilder("\"text_mean\": ["), vision = new StringBuilder("\"vision_mean\": [");
        for (int l = 0; l < layers; l++) {
            text.append(l == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6e", textMean(l)));
            vision.append(l == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6e", visionMean(l)));
        }
        table(file.toString()).write(file, layers, source, text + "],\n  " + vision + "]");
    }
}
