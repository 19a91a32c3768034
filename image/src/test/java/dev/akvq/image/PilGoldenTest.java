package dev.akvq.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * as PIL decodes them; BMP, GIF, TIFF and CMYK/YCCK JPEG files against PIL's {@code convert("RGB")}
 * and, where PIL's mode is one akvq keeps (L, P, RGB, RGBA), its samples as opened. Each case
 * must match byte for byte. WebP must be refused with a message naming it.
 */
class PilGoldenTest {
    static final Path FILE = Path.of("src", "test", "resources", "pil", "pil_goldens.safetensors").toAbsolutePath();

    private static byte[] bytes(SafetensorsFile f, String name) {
        return f.require(name).data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void everyCaseMatchesPilByteForByte() {
        List<String> failures = new ArrayList<>();
        int resized = 0, converted = 0, jpegs = 0, formats = 0, refused = 0;
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
                } else if (name.startsWith("format")) {
                    String what = name + " " + c.requireString("label");
                    DecodedImage in;
                    try {
                        in = ImageDecoder.decode(bytes(f, name + ".file"), name, ImageDecoder.MAX_PIXELS);
                    } catch (ImageFormatException e) {
                        failures.add(what + ": " + e.getMessage());
                        continue;
                    }
                    compare(what + " convert(RGB)", bytes(f, name + ".rgb"), in.toRgb().samples(), failures);
                    String pilMode = c.requireString("mode");
                    if (List.of("L", "P", "RGB", "RGBA").contains(pilMode)) {
                        if (!in.mode().name().equals(pilMode)) failures.add(what + ": opened as " + in.mode() + ", PIL " + pilMode);
                        else compare(what + " as opened", bytes(f, name + ".native"), in.samples(), failures);
                    }
                    formats++;
                } else if (name.startsWith("refused")) {
                    byte[] file = bytes(f, name + ".file");
                    ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(file, name, ImageDecoder.MAX_PIXELS));
                    assertTrue(e.getMessage().startsWith(name + ": " + c.requireString("format").charAt(0)) && e.getMessage().contains("WebP"), e.getMessage());
                    refused++;
                } else {
                    DecodedImage in = ImageDecoder.decode(bytes(f, name + ".jpg"), name, ImageDecoder.MAX_PIXELS);
                    assertEquals(c.requireString("mode"), in.mode().name(), name);
                    compare(name + " JPEG " + c.requireString("label"), bytes(f, name + ".out"), in.samples(), failures);
                    jpegs++;
                }
            }
        }
        assertTrue(resized >= 75 && converted >= 6 && jpegs >= 5 && formats >= 21 && refused >= 1, resized + " resizes, " + converted
                + " conversions, " + jpegs + " JPEGs, " + formats + " other formats, " + refused + " refused");
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
