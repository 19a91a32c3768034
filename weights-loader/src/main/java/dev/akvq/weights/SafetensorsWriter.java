package dev.akvq.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes F32, I64 and U8 tensors as a safetensors file (the trace's and the preprocessor's output):
 * the 8-byte little-endian header length, the JSON header padded with spaces to a multiple of 8
 * bytes (as the reference writer does), then the tensors back to back in the order added.
 */
public final class SafetensorsWriter {
    private record Entry(String name, String dtype, long[] shape, byte[] data) {}

    private final List<Entry> entries = new ArrayList<>();

    /** Adds an F32 tensor; {@code data.length} must equal the shape's product. */
    public SafetensorsWriter f32(String name, float[] data, long... shape) {
        check(name, data.length, shape);
        ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return add(new Entry(name, "F32", shape.clone(), bytes.array()));
    }

    /** Adds an I64 tensor; {@code data.length} must equal the shape's product. */
    public SafetensorsWriter i64(String name, long[] data, long... shape) {
        check(name, data.length, shape);
        ByteBuffer bytes = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(data);
        return add(new Entry(name, "I64", shape.clone(), bytes.array()));
    }

    /** Adds a U8 tensor (masks); {@code data.length} must equal the shape's product. */
    public SafetensorsWriter u8(String name, byte[] data, long... shape) {
        check(name, data.length, shape);
        return add(new Entry(name, "U8", shape.clone(), data.clone()));
    }

    private SafetensorsWriter add(Entry e) {
        for (Entry other : entries) {
            if (other.name.equals(e.name)) throw new IllegalArgumentException("tensor \"" + e.name + "\" added twice");
        }
        entries.add(e);
        return this;
    }

    private static void check(String name, int length, long[] shape) {
        long product = 1;
        for (long d : shape) product = Math.multiplyExact(product, d);
        if (product != length) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " holds "
                    + product + " elements, data has " + length);
        }
    }

    public void write(Path file) {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Entry e : entries) {
            if (header.length() > 1) header.append(',');
            header.append('"').append(escape(e.name)).append("\":{\"dtype\":\"").append(e.dtype).append("\",\"shape\":[");
            for (int i = 0; i < e.shape.length; i++) header.append(i == 0 ? "" : ",").append(e.shape[i]);
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + e.data.length).append("]}");
            offset += e.data.length;
        }
        header.append('}');
        while (header.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) header.append(' ');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
            out.write(headerBytes);
            for (Entry e : entries) out.write(e.data);
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot write: " + ex.getMessage(), ex);
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
