package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.quant.kv.LayerPattern;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq calibrate} on llava-shapes: the spec's rule labels all six decoder layers TSA (the
 * fixture's README: text keys get 1.6-8.6x the attention per token of vision keys), the file is
 * what {@code --kv-layers} reads, and {@code akvq eval} runs akvq with it.
 */
class CalibrateCommandTest {
    static final Path MODEL = Fixtures.model("llava-shapes");

    @Test
    void labelsEveryLayerOfLlavaShapesTsaAndWritesWhatKvLayersReads(@TempDir Path tmp) {
        Path out = tmp.resolve("layers.json");
        Cli.Result r = Cli.akvq("calibrate", "--model", MODEL.toString(), "--set", MODEL.resolve("eval/prompts.jsonl").toString(),
                "--limit", "3", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.status(), r.err());
        KvLayerTable table = KvLayerTable.read(out);
        for (int l = 0; l < 6; l++) assertEquals(LayerPattern.TSA, table.pattern(l), "layer " + l + "\n" + r.out());
        JsonObject json = Json.readObjectFile(out);
        JsonArray text = json.requireArray("text_mean"), vision = json.requireArray("vision_mean");
        for (int l = 0; l < 6; l++) {
            double ratio = ((JsonNumber) text.get(l)).doubleValue() / ((JsonNumber) vision.get(l)).doubleValue();
            assertTrue(ratio > 1.3 && ratio < 12, "layer " + l + " text/vision " + ratio + " (README: 1.6-8.6)");
        }
        assertEquals(7, r.out().strip().split("\n").length, r.out());
        assertTrue(r.out().contains("  TSA"), r.out());

        Cli.Result eval = Cli.akvq("eval", "--model", MODEL.toString(), "--set", MODEL.resolve("eval_single/prompts.jsonl").toString(),
                "--limit", "2", "--kv", "akvq", "--kv-layers", out.toString(), "--json", "--threads", "2");
        assertEquals(0, eval.status(), eval.err());
        assertTrue(eval.err().contains("layers " + out), eval.err());
    }

    @Test
    void oneImageAndAQuestion(@TempDir Path tmp) {
        Path out = tmp.resolve("one.json");
        Cli.Result r = Cli.akvq("calibrate", "--model", MODEL.toString(), "--image",
                MODEL.resolve("eval_single/images/041.png").toString(), "--prompt", "What color is the triangle?",
                "--out", out.toString(), "--threads", "1");
        assertEquals(0, r.status(), r.err());
        assertEquals(6, KvLayerTable.read(out).explicit().size());
        assertTrue(r.err().contains("FP32 prefill of 1 prompt with 1 image"), r.err());
    }
}
