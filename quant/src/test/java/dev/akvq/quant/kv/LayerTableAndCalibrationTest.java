package dev.akvq.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer tables (presets, files, errors) and the calibration statistic on hand-made attention. */
class LayerTableAndCalibrationTest {

    @Test
    void presetsFollowThePublishedRows() {
        KvLayerTable llava = KvLayerTable.preset("llava-1.5-7b").orElseThrow();
        assertEquals(List.of(LayerPattern.TSA, LayerPattern.TSA, LayerPattern.PSA, LayerPattern.PSA),
                List.of(llava.pattern(0), llava.pattern(1), llava.pattern(2), llava.pattern(31)));
        assertEquals(LayerPattern.PSA, KvLayerTable.preset("llava-1.6-mistral").orElseThrow().pattern(0));
        assertEquals(KvLayerTable.LLAVA_15, KvLayerTable.preset("llava-1.6-vicuna").orElseThrow());
        assertTrue(KvLayerTable.preset("gpt2").isEmpty());
    }

    @Test
    void fileRoundTripsAndErrorsNameTheEntry(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve(KvLayerTable.FILE_NAME);
        KvLayerTable.of("t", List.of(LayerPattern.PSA, LayerPattern.TSA, LayerPattern.PSA)).write(file, 3, "test", null);
        KvLayerTable read = KvLayerTable.findNextTo(tmp).orElseThrow();
        assertEquals(List.of(LayerPattern.PSA, LayerPattern.TSA, LayerPattern.PSA), read.explicit());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read.checkCovers(4));
        assertTrue(e.getMessage().contains("lists 3 layers, the model has 4"), e.getMessage());
        Files.writeString(file, "{\"layers\": [\"TSA\", \"XSA\"]}");
        WeightsFormatException w = assertThrows(WeightsFormatException.class, () -> KvLayerTable.read(file));
        assertTrue(w.getMessage().contains("layers[1]"), w.getMessage());
    }

    @Test
    void calibrationLabelsLayersByWhichModalityReceivesMoreAttention(@TempDir Path tmp) {
        // Keys are counted by the queries at least min(128, n/2) = 20 positions after them: keys 5-19 here.
        int heads = 2, n = 40;
        Modality[] modality = new Modality[n];
        for (int t = 0; t < n; t++) modality[t] = t >= 10 && t < 30 ? Modality.VISION : Modality.TEXT;
        AttentionCalibration c = new AttentionCalibration(2);
        // Layer 0 attends to text keys, layer 1 to vision keys; position 0 (a sink) gets most of it and must not count.
        for (int layer = 0; layer < 2; layer++) {
            float[] p = new float[heads * n * n];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    double[] w = new double[i + 1];
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        boolean favoured = layer == 0 ? modality[j] == Modality.TEXT : modality[j] == Modality.VISION;
                        // the query's own recent keys (the last text tokens) get the most: recency, not salience
                        sum += w[j] = j == 0 ? 20 : i - j < 3 ? (layer == 1 ? 30 : 1) : favoured ? 3 : 1;
                    }
                    for (int j = 0; j <= i; j++) p[(h * n + i) * n + j] = (float) (w[j] / sum);
                }
            }
            c.add(layer, p, heads, n, modality);
        }
        assertTrue(c.textMean(0) > c.visionMean(0));
        assertTrue(c.textMean(1) < c.visionMean(1));
        Path file = tmp.resolve("akvq-layers.json");
        c.write(file, "unit test");
        assertEquals(List.of(LayerPattern.TSA, LayerPattern.PSA), KvLayerTable.read(file).explicit());
        AttentionCalibration textOnly = new AttentionCalibration(1);
        Modality[] text = new Modality[n];
        java.util.Arrays.fill(text, Modality.TEXT);
        textOnly.add(0, new float[heads * n * n], heads, n, text);
        assertThrows(IllegalStateException.class, () -> textOnly.table("x"));
    }
}
