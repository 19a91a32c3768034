package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvChannelStatistics;
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
    void labelsEachLayerByItsMeansAndWritesWhatKvLayersAndKvChannelsRead(@TempDir Path tmp) {
        Path out = tmp.resolve("layers.json");
        Cli.Result r = Cli.akvq("calibrate", "--model", MODEL.toString(), "--set", MODEL.resolve("eval/prompts.jsonl").toString(),
                "--limit", "3", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.status(), r.err());
        KvLayerTable table = KvLayerTable.read(out);
        JsonObject json = Json.readObjectFile(out);
        JsonArray text = json.requireArray("text_mean"), vision = json.requireArray("vision_mean");
        int tsa = 0;
        for (int l = 0; l < 6; l++) {
            double t = ((JsonNumber) text.get(l)).doubleValue(), v = ((JsonNumber) vision.get(l)).doubleValue();
            assertTrue(t > 0 && v > 0 && t < 1 && v < 1, "layer " + l + " means are attention probabilities: " + t + ", " + v);
            assertEquals(t > v ? LayerPattern.TSA : LayerPattern.PSA, table.pattern(l), "layer " + l + "\n" + r.out());
            if (t > v) tsa++;
        }
        assertTrue(r.out().contains(tsa + " of 6 layers TSA; they "), r.out());
        // The channel calibration beside it: 6 layers of 4 KV heads x 32 channels, read by --kv-channels.
        Path channels = tmp.resolve("layers.kv-channels.json");
        assertEquals(6, KvChannelStatistics.read(channels).layers());
        assertTrue(r.err().contains("wrote " + out + " and " + channels), r.err());

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

    @Test
    void writesNothingUnlessAskedAndChecksOutBeforeTheWork(@TempDir Path tmp) throws java.io.IOException {
        Path model = tmp.resolve("model");
        java.nio.file.Files.createDirectories(model);
        try (var files = java.nio.file.Files.list(MODEL)) {
            for (Path f : files.toList()) if (java.nio.file.Files.isRegularFile(f)) java.nio.file.Files.copy(f, model.resolve(f.getFileName()));
        }
        String[] question = {"--image", MODEL.resolve("eval_single/images/041.png").toString(), "--prompt", "What color is the triangle?"};
        Cli.Result plain = Cli.akvq(concat(new String[] {"calibrate", "--model", model.toString(), "--threads", "1"}, question));
        assertEquals(0, plain.status(), plain.err());
        assertTrue(plain.err().contains("nothing written"), plain.err());
        assertTrue(!java.nio.file.Files.exists(model.resolve(KvLayerTable.FILE_NAME)), "no --save: the model folder is left alone");

        Cli.Result badOut = Cli.akvq(concat(new String[] {"calibrate", "--model", model.toString(), "--out",
                tmp.resolve("missing/layers.json").toString()}, question));
        assertEquals(2, badOut.status(), badOut.err());
        assertTrue(badOut.err().contains("does not exist"), badOut.err());
        assertTrue(!badOut.err().contains("FP32 prefill"), "checked before the work: " + badOut.err());

        Cli.Result saved = Cli.akvq(concat(new String[] {"calibrate", "--model", model.toString(), "--save", "--threads", "1"}, question));
        assertEquals(0, saved.status(), saved.err());
        assertEquals(6, KvLayerTable.read(model.resolve(KvLayerTable.FILE_NAME)).explicit().size());
        assertEquals(6, KvChannelStatistics.read(model.resolve(KvChannelStatistics.FILE_NAME)).layers());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
