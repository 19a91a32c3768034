package dev.akvq.weights.json;

import dev.akvq.weights.WeightsFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @TempDir
    Path dir;

    private static JsonFormatException rejects(String text, String... fragments) {
        JsonFormatException e = assertThrows(JsonFormatException.class, () -> Json.parse(text, "t.json"));
        assertTrue(e.getMessage().startsWith("t.json:"), e::getMessage);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "lacks \"" + f + "\": " + e.getMessage());
        return e;
    }

    @Test
    void parsesValuesKeepingOrderAndLiteralNumbers() {
        JsonObject o = Json.parseObject(" {\"z\": 1, \"a\": [true, false, null], \"m\": -0.5e-3,\n"
                + " \"big\": 9007199254740993, \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"} ", "t.json");
        assertEquals(List.of("z", "a", "m", "big", "s"), List.copyOf(o.keys()));
        assertEquals(new JsonArray(List.of(new JsonBoolean(true), new JsonBoolean(false), JsonNull.INSTANCE)),
                o.get("a").orElseThrow());
        assertEquals(-0.5e-3, o.requireDouble("m"));
        // 2^53 + 1 is not a double: the literal text keeps it exact.
        assertEquals(9007199254740993L, o.requireLong("big"));
        assertEquals("x\"\\/\b\f\n\r\t\u00e9\ud83d\ude00", o.requireString("s"));
        assertEquals(new JsonNumber("0"), Json.parse("0", "t.json"));
        assertEquals(new JsonString(""), Json.parse("\"\"", "t.json"));
        assertEquals(Optional.of(Integer.MIN_VALUE), new JsonNumber("-2147483648").intValueExact());
        assertEquals(Optional.empty(), new JsonNumber("2147483648").intValueExact());
        assertEquals(Optional.empty(), new JsonNumber("99999999999999999999999").longValueExact());
        assertEquals(Double.POSITIVE_INFINITY, new JsonNumber("1e999999999999").doubleValue());
    }

    @Test
    void rejectsWhatRfc8259Forbids() {
        rejects("{\"a\":1,}", "t.json:1:8:", "trailing comma before '}'");
        rejects("[1,2,]", "t.json:1:6:", "trailing comma before ']'");
        rejects("{\"a\":1} // c", "t.json:1:9:", "expected the end of the input");
        rejects("// c\n{}", "t.json:1:1:", "comments are not allowed");
        rejects("NaN", "NaN is not a JSON value");
        rejects("[Infinity]", "t.json:1:2:", "Infinity is not a JSON value");
        rejects("-Infinity", "expected a digit in a number");
        rejects("012", "t.json:1:1:", "leading zeros");
        rejects("-01", "leading zeros");
        rejects("+1", "expected a JSON value, found '+'");
        rejects("1.", "expected a digit after the decimal point");
        rejects(".5", "expected a JSON value, found '.'");
        rejects("1e", "expected a digit in the exponent");
        rejects("\"a\tb\"", "t.json:1:3:", "unescaped control character U+0009");
        rejects("\"a\nb\"", "unescaped control character U+000A");
        rejects("\"\\x\"", "invalid escape \\x");
        rejects("\"\\u12\"", "\\u escape needs 4 hex digits");
        rejects("\"\\ud83d\"", "lone high surrogate \\uD83D");
        rejects("\"\\ud83dx\"", "lone high surrogate");
        rejects("\"\\ud83d\\u0041\"", "followed by \\u0041");
        rejects("\"\\ude00\"", "lone low surrogate \\uDE00");
        rejects("'a'", "double quotes");
        rejects("{a:1}", "expected a member name in double quotes, found 'a'");
        rejects("{\"a\" 1}", "expected ':' after member name \"a\"");
        rejects("[1 2]", "expected ',' or ']' after array element 0");
        rejects("{\"a\":1 \"b\":2}", "expected ',' or '}' after the value of \"a\"");
        rejects("\"abc", "t.json:1:1:", "unterminated string");
        rejects("", "empty document");
        rejects("   \n  ", "t.json:2:3:", "empty document");
        rejects("tru", "expected true");
        rejects("{} {}", "t.json:1:4:");
        rejects("[1]\u0000", "t.json:1:4:", "after the top-level value, found 'U+0000'");
    }

    @Test
    void duplicateKeysNameBothPlaces() {
        rejects("{\"a\": 1,\n  \"b\": {\"a\": 2},\n  \"a\": 3}", "t.json:3:3:", "duplicate key \"a\"",
                "first at line 1, column 2");
    }

    @Test
    void deepNestingFailsCleanly() {
        rejects("[".repeat(10_000) + "]".repeat(10_000), "nesting deeper than 512");
        rejects("{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000), "nesting deeper than 512");
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(JsonArray.class, Json.parse(ok, "t.json"));
        rejects("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1), "nesting deeper");
    }

    @Test
    void decodesUtf8StrictlyAndNamesTheFile() throws IOException {
        assertEquals(new JsonString("é"), Json.parseUtf8("\"é\"".getBytes(StandardCharsets.UTF_8), "u.json"));
        JsonFormatException bad = assertThrows(JsonFormatException.class,
                () -> Json.parseUtf8(new byte[] {'"', 'a', (byte) 0xC3, '"'}, "u.json"));
        assertTrue(bad.getMessage().startsWith("u.json: not valid UTF-8"), bad::getMessage);
        assertTrue(bad.getMessage().contains("byte offset 2"), bad::getMessage);
        // An encoded surrogate (CESU-8 style) is not UTF-8 either.
        assertThrows(JsonFormatException.class,
                () -> Json.parseUtf8(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, "u.json"));
        JsonFormatException bom = assertThrows(JsonFormatException.class,
                () -> Json.parseUtf8(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}, "u.json"));
        assertTrue(bom.getMessage().contains("byte-order mark"), bom::getMessage);

        Path file = Files.writeString(dir.resolve("c.json"), "{\"x\": [1, 2]}");
        assertEquals(List.of(1, 2), Json.readObjectFile(file).optIntList("x").orElseThrow());
        WeightsFormatException missing = assertThrows(WeightsFormatException.class,
                () -> Json.readFile(dir.resolve("nope.json")));
        assertTrue(missing.getMessage().contains("nope.json: no such file"), missing::getMessage);
        Path array = Files.writeString(dir.resolve("a.json"), "[]");
        WeightsFormatException notObject = assertThrows(WeightsFormatException.class, () -> Json.readObjectFile(array));
        assertTrue(notObject.getMessage().contains("a.json:1:1: expected a JSON object at the top level"),
                notObject::getMessage);
    }

    @Test
    void typedAccessorsNameFileAndFieldPath() {
        JsonObject o = Json.parseObject("{\"text_config\": {\"hidden_size\": \"64\", \"eps\": 1e-5, \"n\": 3.0,"
                + " \"big\": 3000000000, \"ids\": [1, \"x\"], \"nul\": null, \"inf\": 1e400}, \"eos\": 2}", "config.json");
        JsonObject text = o.requireObject("text_config");
        assertEquals("text_config.", text.path());
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> text.requireInt("hidden_size"));
        assertEquals("config.json: field \"text_config.hidden_size\": expected an integer, found the string \"64\"",
                e.getMessage());
        e = assertThrows(WeightsFormatException.class, () -> text.optInt("n"));
        assertEquals("config.json: field \"text_config.n\": expected an integer (no fraction or exponent), found the"
                + " number 3.0", e.getMessage());
        e = assertThrows(WeightsFormatException.class, () -> text.optInt("big"));
        assertTrue(e.getMessage().contains("\"text_config.big\": expected an integer within 32 bits"), e::getMessage);
        assertEquals(3_000_000_000L, text.requireLong("big"));
        e = assertThrows(WeightsFormatException.class, () -> text.requireString("missing"));
        assertEquals("config.json: field \"text_config.missing\" is missing; expected a string", e.getMessage());
        e = assertThrows(WeightsFormatException.class, () -> text.optIntList("ids"));
        assertTrue(e.getMessage().contains("found the string \"x\" at index 1"), e::getMessage);
        e = assertThrows(WeightsFormatException.class, () -> text.optDouble("inf"));
        assertTrue(e.getMessage().contains("within double's range"), e::getMessage);
        assertEquals(1e-5, text.doubleOr("eps", 0));
        assertEquals(7, text.intOr("nul", 7), "an explicit null reads as absent");
        assertTrue(text.has("nul"));
        assertEquals(List.of(2), o.optIntOrIntList("eos").orElseThrow());
        e = assertThrows(WeightsFormatException.class, () -> o.optBoolean("eos"));
        assertEquals("config.json: field \"eos\": expected true or false, found the number 2", e.getMessage());
    }
}
