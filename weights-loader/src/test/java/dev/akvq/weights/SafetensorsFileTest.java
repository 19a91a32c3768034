package dev.akvq.weights;

import dev.akvq.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.akvq.weights.HandMadeSafetensors.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** Opening {@code file} must fail with a WeightsFormatException whose message holds every fragment. */
    static WeightsFormatException assertRejected(Path file, String... fragments) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                fail("opened " + f.names());
            }
        });
        assertMessage(e, fragments);
        return e;
    }

    static void assertMessage(Throwable e, String... fragments) {
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), () -> "message lacks \"" + s + "\": " + e.getMessage());
        }
    }

    @Test
    void assertRejectedCanFail() throws IOException {
        // The helper must fail on a file that opens, and on a message lacking a fragment.
        Path ok = new HandMadeSafetensors().addF32("x", shape(1), 1).write(dir.resolve("ok.safetensors"));
        assertThrows(org.opentest4j.AssertionFailedError.class, () -> assertRejected(ok, "ok.safetensors"));
        assertThrows(org.opentest4j.AssertionFailedError.class,
                () -> assertRejected(bytes("short.safetensors", new byte[3]), "short.safetensors", "no such words"));
    }

    @Test
    void readsEveryDtypeInHeaderOrderWithOffsetsInAnotherOrder() throws IOException {
        Path file = new HandMadeSafetensors()
                .addF32("b.weight", shape(2, 3), 1, 2, 3, 4, 5, -6.5f)
                .addBf16("a.norm", shape(3), 1.5f, -2f, 0.25f)
                .addF16("c.half", shape(2), 0.5f, 65504f)
                .addI64("ids", shape(1, 2), 7, -9_000_000_000L)
                .headerOrder("ids", "c.half", "a.norm", "b.weight")
                .metadata("format", "pt")
                .padding(3) // odd header length: every tensor is unaligned in the file
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("ids", "c.half", "a.norm", "b.weight"), f.names());
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, f.require("b.weight").requireShape(2, 3).toFloatArray());
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f}, f.require("a.norm").toFloatArray());
            assertArrayEquals(new float[] {0.5f, 65504f}, f.require("c.half").toFloatArray());
            assertArrayEquals(new long[] {7, -9_000_000_000L}, f.require("ids").toLongArray());
            WeightTensor w = f.require("b.weight");
            assertEquals(DType.F32, w.dtype());
            assertEquals(6, w.elementCount());
            assertEquals(24, w.byteSize());
            assertEquals(file, w.source());
            assertTrue(f.find("missing").isEmpty());
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("missing")), "model.safetensors",
                    "\"missing\"");
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("ids").toIntArray()),
                    "model.safetensors", "\"ids\"", "element 1");
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("ids").toFloatArray()),
                    "\"ids\"", "expected dtype one of [F32, BF16, F16], found I64");
        }
    }

    @Test
    void slicesAreZeroCopyViewsOfTheMappedFile() throws IOException {
        HandMadeSafetensors w = new HandMadeSafetensors().addF32("x", shape(2), 3, 4).addF32("y", shape(1), 5);
        Path file = w.write(dir.resolve("m.safetensors"));
        int dataStart = 8 + w.headerJson().getBytes(StandardCharsets.UTF_8).length;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(dataStart, f.dataStart());
            MemorySegment y = f.require("y").data();
            MemorySegment x = f.require("x").data();
            assertTrue(y.isMapped());
            assertEquals(x.address() + 8, y.address(), "y follows x in the same mapping");
            assertTrue(y.isReadOnly());
        }
    }

    @Test
    void acceptsEmptyHeaderZeroSizedTensorsAndScalars() throws IOException {
        Path empty = HandMadeSafetensors.writeRaw(dir.resolve("empty.safetensors"), "{}  ", 0);
        try (SafetensorsFile f = SafetensorsFile.open(empty)) {
            assertTrue(f.tensors().isEmpty());
        }
        Path file = new HandMadeSafetensors().addF32("z", shape(0, 4)).addF32("s", shape(), 2.5f).addF32("z2", shape(3, 0))
                .write(dir.resolve("zero.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(0, f.require("z").elementCount());
            assertEquals(0, f.require("z").toFloatArray().length);
            assertArrayEquals(new float[] {2.5f}, f.require("s").requireShape().toFloatArray());
        }
    }

    @Test
    void asMatrixViewsTwoDimensionalFloatWeightsInPlace() throws IOException {
        Path file = new HandMadeSafetensors()
                .addBf16("proj.weight", shape(2, 3), 1, 2, 3, 4, 5, 6)
                .addF32("norm.weight", shape(3), 1, 1, 1)
                .addI64("ids", shape(1, 2), 1, 2)
                .addF32("empty", shape(0, 3))
                .padding(1)
                .write(dir.resolve("m.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            dev.akvq.tensor.MatrixView m = f.require("proj.weight").asMatrix();
            assertEquals(DType.BF16, m.dtype());
            assertEquals(2, m.rows());
            assertEquals(3, m.cols());
            assertEquals(f.require("proj.weight").data(), m.data());
            assertEquals(6f, m.get(1, 2));
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("norm.weight").asMatrix()),
                    "m.safetensors", "tensor \"norm.weight\"", "expected a 2-D weight matrix, found shape [3]");
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("ids").asMatrix()),
                    "tensor \"ids\"", "found dtype I64");
            assertMessage(assertThrows(WeightsFormatException.class, () -> f.require("empty").asMatrix()),
                    "tensor \"empty\"", "[0, 3]");
        }
    }

    @Test
    void closeUnmaps() throws IOException {
        Path file = new HandMadeSafetensors().addF32("x", shape(1), 1).write(dir.resolve("m.safetensors"));
        WeightTensor t;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            t = f.require("x");
        }
        assertThrows(IllegalStateException.class, t::toFloatArray);
    }

    @Test
    void requireShapeNamesTensorFileAndBothShapes() throws IOException {
        Path file = new HandMadeSafetensors().addF32("model.norm.weight", shape(2), 1, 2).write(dir.resolve("m.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            WeightsFormatException e = assertThrows(WeightsFormatException.class,
                    () -> f.require("model.norm.weight").requireShape(64));
            assertEquals(file + ": tensor \"model.norm.weight\": expected shape [64], found [2]", e.getMessage());
        }
    }

    // ---- hostile files ------------------------------------------------------------------------

    private Path bytes(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static byte[] lengthPrefix(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    @Test
    void rejectsFilesShorterThanTheLengthField() throws IOException {
        assertRejected(bytes("empty.safetensors", new byte[0]), "empty.safetensors", "0 bytes long");
        assertRejected(bytes("seven.safetensors", new byte[7]), "seven.safetensors", "7 bytes long", "8-byte");
    }

    @Test
    void rejectsTruncatedHeaderAndData() throws IOException {
        byte[] good = new HandMadeSafetensors().addF32("w", shape(4), 1, 2, 3, 4).toBytes();
        assertRejected(bytes("hcut.safetensors", Arrays.copyOf(good, 20)), "hcut.safetensors", "header length",
                "exceeds the 12 bytes");
        assertRejected(bytes("dcut.safetensors", Arrays.copyOf(good, good.length - 1)), "dcut.safetensors",
                "tensor \"w\"", "past the end", "15-byte data region");
    }

    @Test
    void rejectsHugeHeaderLengths() throws IOException {
        byte[] top = lengthPrefix(Long.MAX_VALUE);
        assertRejected(bytes("max.safetensors", top), "max.safetensors", "header length 9223372036854775807");
        assertRejected(bytes("neg.safetensors", lengthPrefix(-1)), "neg.safetensors", "header length 18446744073709551615");
        // 200 MB claimed, and present (sparse file): the size cap, not the file size, refuses it.
        Path big = dir.resolve("big.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.wrap(lengthPrefix(200_000_000L)));
            ch.write(ByteBuffer.wrap(new byte[] {0}), 8 + 200_000_000L - 1);
        }
        assertRejected(big, "big.safetensors", "header length 200000000", "100000000-byte limit");
    }

    @Test
    void rejectsOffsetProblems() throws IOException {
        String f32x2 = "\"dtype\":\"F32\",\"shape\":[2]";
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("overlap.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 + ",\"data_offsets\":[4,12]}}", 12),
                "overlap.safetensors", "tensor \"b\" [4, 12) overlaps tensor \"a\" [0, 8)");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("range.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[8,16]}}", 8),
                "range.safetensors", "tensor \"a\"", "[8, 16] reach past the end of the 8-byte data region");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("order.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[8,0]}}", 8),
                "order.safetensors", "tensor \"a\"", "[8, 0] begin after they end");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("gap.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[4,12]}}", 12),
                "gap.safetensors", "4 unused bytes at data offset 0 before tensor \"a\"");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("tail.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 9),
                "tail.safetensors", "1 trailing bytes", "MetadataIncompleteBuffer");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("neg.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[-8,0]}}", 8),
                "neg.safetensors", "tensor \"a\"", "data_offsets\" element 0", "non-negative");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("three.safetensors"),
                "{\"a\":{" + f32x2 + ",\"data_offsets\":[0,4,8]}}", 8),
                "three.safetensors", "expected 2 integers, found 3");
    }

    @Test
    void rejectsBadEntries() throws IOException {
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("dtype.safetensors"),
                "{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16),
                "dtype.safetensors", "tensor \"w\"", "unknown dtype \"F128\"", "BF16");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("mismatch.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
                "mismatch.safetensors", "tensor \"w\"", "hold 20 bytes, but shape [2, 3] of F32 needs 24");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("overflow.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0),
                "overflow.safetensors", "tensor \"w\"", "overflows 64 bits");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("bytes.safetensors"),
                "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0),
                "bytes.safetensors", "tensor \"w\"", "overflows 64 bits");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("negdim.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,0]}}", 0),
                "negdim.safetensors", "tensor \"w\"", "\"shape\" element 0", "found the number -1");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("float.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4),
                "float.safetensors", "\"shape\" element 0", "the number 1.0");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("extra.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "extra.safetensors", "tensor \"w\"", "unexpected field \"x\"");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("missing.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                "missing.safetensors", "tensor \"w\"", "\"data_offsets\" is missing");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("notobj.safetensors"), "{\"w\":[1,2]}", 0),
                "notobj.safetensors", "tensor \"w\"", "found an array of 2 elements");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("meta.safetensors"),
                "{\"__metadata__\":{\"k\":1}}", 0),
                "meta.safetensors", "\"__metadata__\" entry \"k\" must be a string");
    }

    @Test
    void rejectsBadHeaderJson() throws IOException {
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("array.safetensors"), "[]", 0),
                "array.safetensors", "header must be a JSON object", "found an array of 0 elements");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("dup.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\n"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "dup.safetensors (JSON header):2:1", "duplicate key \"w\"", "first at line 1, column 2");
        byte[] header = "{\"w\u00ff\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        assertRejected(bytes("utf8.safetensors", HandMadeSafetensors.assemble(header, new byte[0])),
                "utf8.safetensors", "not valid UTF-8", "byte offset 3", "0xFF");
        assertRejected(bytes("nul.safetensors", lengthPrefix(0)), "nul.safetensors", "empty document");
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("deep.safetensors"), deep, 0),
                "deep.safetensors", "nesting deeper than 512");
        assertRejected(HandMadeSafetensors.writeRaw(dir.resolve("trail.safetensors"), "{},", 0),
                "trail.safetensors", ":1:3:", "expected the end of the input");
        assertFalse(Files.exists(dir.resolve("never")));
        assertRejected(dir.resolve("never.safetensors"), "never.safetensors", "no such file");
    }
}
