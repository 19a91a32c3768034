package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Against PIL 9.4 itself, beyond the project fixtures: {@code src/test/resources/pil/
 * pil_goldens.safetensors}, written by make_pil_goldens.py beside it with Debian bookworm's
 * python3-pil 9.4.0 (libjpeg-turbo 2.1). Every filter on L, LA, RGB, RGBA (premultiplied) and P
 * (NEAREST) images of random sizes; {@code convert("RGB")} and the composite over white of every
 * mode, 16-bit grey included; PIL's own JPEGs at 4:4:4, 4:2:2, 4:2:0, progressive and grey, decoded
 * as PIL decodes them. Each case must match byte for byte.
 */
class PilGoldenTest {
    static final Path FILE = Path.of("src", "test", "resources", "pil", "pil_goldens.safetensors").toAbsolutePath();

    private static byte[] bytes(SafetensorsFile f, String name) {
        return f.require(name).data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void everyCaseMatchesPilByteForByte() {
        List<String> failures = new ArrayList<>();
        int resized = 0, converted = 0, jpegs = 0;
        try (SafetensorsFile f = SafetensorsFile.open(FILE)) {
            assertEquals("9.4.0", f.metadata().get("PIL"));
            for (JsonValue v : ((JsonArray) Json.parse(f.metadata().get("cases"), "cases")).elements()) {
                JsonObject c = (JsonObject) v;
                String name = c.requireString("name");
                if (name.startsWith("resize")) {
                    DecodedImage in = ImageDecoder.decode(bytes(f, name + ".png"), name, ImageDecoder.MAX_PIXELS);
                    assertEquals(c.requireString("mode"), in.mode().name(), name + ": mode as decoded");
                    Resample filter = Resample.fromPilCode(c.requireInt("filter")).orElseThrow();
                    List<Integer> size = c.optIntList("size").orElseThrow();
                    DecodedImage out = filter.resize(in, size.get(0), size.get(1));
                    compare(name + " " + in.mode() + " " + filter + " " + in.width() + "x" + in.height() + " -> " + size,
                            bytes(f, name + ".out"), out.samples(), failures);
                    resized++;
                } else if (name.startsWith("convert")) {
                    DecodedImage in = ImageDecoder.decode(bytes(f, name + ".png"), name, ImageDecoder.MAX_PIXELS);
                    compare(name + " " + c.requireString("mode") + " convert(RGB)", bytes(f, name + ".rgb"), in.toRgb().samples(), failures);
                    compare(name + " " + c.requireString("mode") + " over white", bytes(f, name + ".over_white"), in.toRgbOverWhite().samples(), failures);
                    converted++;
                } else {
                    DecodedImage in = ImageDecoder.decode(bytes(f, name + ".jpg"), name, ImageDecoder.MAX_PIXELS);
                    assertEquals(c.requireString("mode"), in.mode().name(), name);
                    compare(name + " JPEG " + c.requireString("label"), bytes(f, name + ".out"), in.samples(), failures);
                    jpegs++;
                }
            }
        }
        assertTrue(resized >= 75 && converted >= 6 && jpegs >= 5, resized + " resizes, " + converted + " conversions, " + jpegs + " JPEGs");
        if (!failures.isEmpty()) fail(failures.size() + " cases differ from PIL:\n" + String.join("\n", failures));
    }

    private static void compare(String what, byte[] pil, byte[] ours, List<String> failures) {
        if (pil.length != ours.length) {
            failures.add(what + ": " + ours.length + " bytes, PIL " + pil.length);
            return;
        }
        int differ = 0, worst = 0, first = -1;
        for (int i = 0; i < pil.length; i++) {
            int d = Math.abs((pil[i] & 0xFF) - (ours[i] & 0xFF));
            if (d != 0) {
                differ++;
                worst = Math.max(worst, d);
                if (first < 0) first = i;
            }
        }
        if (differ > 0) failures.add(what + ": " + differ + " of " + pil.length + " bytes differ (largest " + worst + ", first at " + first + ")");
    }
}
