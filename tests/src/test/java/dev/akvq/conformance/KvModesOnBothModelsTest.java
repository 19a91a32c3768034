package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every mode of {@code akvq eval} (the baselines, the ablation ladder, the matched-bits view, the
 * plot) on two prompts of llava-shapes and of llava-shapes-outliers: FP32 reproduces the reference
 * answers on both models, every mode runs and accounts its exact bits, each matched entry lands
 * within 0.15 bits of its budget, and the plot has a point per mode and panel. Accuracy and KL
 * are not ranked here: they are the README's measurements.
 */
class KvModesOnBothModelsTest {
    static final Path SET = Fixtures.model("llava-shapes").resolve("eval").resolve("prompts.jsonl");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llava-shapes", "llava-shapes-outliers"})
    void everyModeRunsAndFp32ReproducesTheReference(String model, @TempDir Path tmp) throws IOException {
        Path dir = model.equals("llava-shapes") ? Fixtures.model(model) : OutliersModel.directory();
        Path layers = tmp.resolve("layers.json"), channels = tmp.resolve("layers.kv-channels.json"), plot = tmp.resolve("plot.svg");
        Cli.Result calibrate = Cli.akvq("calibrate", "--model", dir.toString(), "--set", SET.toString(), "--limit", "2", "--out",
                layers.toString(), "--threads", "2");
        assertEquals(0, calibrate.status(), calibrate.err());

        Cli.Result r = Cli.akvq("eval", "--model", dir.toString(), "--set", SET.toString(), "--limit", "2", "--threads", "2",
                "--kv", "all", "--kv-layers", layers.toString(), "--kv-channels", channels.toString(), "--json", "--plot", plot.toString());
        assertEquals(0, r.status(), r.err() + r.out());
        JsonObject json = EvalCommandTest.lastJsonLine(r.out());
        assertEquals(0, json.requireInt("fp32_disagreements"), "FP32 reproduces fp32.generated_ids on " + model + "\n" + r.out());
        assertEquals(0, json.requireInt("prompt_mismatches"), r.out());
        Map<String, Double> bits = new HashMap<>();
        JsonArray modes = json.requireArray("modes");
        for (int i = 0; i < modes.size(); i++) {
            JsonObject m = (JsonObject) modes.get(i);
            bits.put(m.requireString("mode"), m.requireDouble("bits_per_value"));
            assertTrue(m.requireDouble("kl_vs_fp32") >= 0, m.toString());
        }
        assertEquals(15, modes.size(), "fp32, the 7 baselines besides rtn2 and akvq, the 6 rungs, akvq-kc: " + bits.keySet());
        // Exact accounting on head_dim 32 (one group per head): codes + 16-bit scale + 8-bit zero.
        assertEquals(2.75, bits.get("rtn2"), 1e-9);
        assertEquals(2.75, bits.get("+rotation"), 1e-9);
        assertEquals(4.75, bits.get("rtn4"), 1e-9);
        assertEquals(2.75, bits.get("smoothquant"), 1e-9);
        assertEquals(16.0, bits.get("fp16"), 1e-9);
        assertTrue(bits.get("+window") > bits.get("+pivots") && bits.get("+tsa") > bits.get("rtn2"), bits.toString());
        String svg = Files.readString(plot);
        assertTrue(svg.startsWith("<svg") && svg.strip().endsWith("</svg>"), svg);
        assertEquals(2 * 15, svg.split("<circle").length - 1, "a point per mode in each panel");

        Cli.Result matched = Cli.akvq("eval", "--model", dir.toString(), "--set", SET.toString(), "--limit", "2", "--threads", "2",
                "--kv", "rtn2,kivi2,sink,akvq,akvq-kc", "--kv-bits", "4.5", "--kv-layers", layers.toString(), "--json");
        assertEquals(0, matched.status(), matched.err() + matched.out());
        JsonArray m = EvalCommandTest.lastJsonLine(matched.out()).requireArray("modes");
        assertEquals(5, m.size(), matched.err());
        for (int i = 0; i < m.size(); i++) {
            JsonObject o = (JsonObject) m.get(i);
            assertTrue(o.requireString("mode").endsWith("@4.5"), o.toString());
            assertEquals(4.5, o.requireDouble("bits_per_value"), 0.15, o.toString());
        }
    }
}
