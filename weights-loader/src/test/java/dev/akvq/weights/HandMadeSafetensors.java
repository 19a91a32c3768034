package dev.akvq.weights;

import dev.akvq.tensor.DType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes tiny safetensors files for tests: tensors laid out in the order added, the header
 * listing them in {@code headerOrder} (default: the order added), optional padding spaces after
 * the JSON to move the data region's alignment, or a raw header for hostile files.
 */
final class HandMadeSafetensors {
    record Tensor(String name, DType dtype, long[] shape, byte[] data) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private List<String> headerOrder;
    private int padding;

    HandMadeSafetensors add(String name, DType dtype, long[] shape, byte[] data) {
        tensors.add(new Tensor(name, dtype, shape, data));
        return this;
    }

    HandMadeSafetensors addF32(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return add(name, DType.F32, shape, b.array());
    }

    HandMadeSafetensors addBf16(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(DType.f32ToBf16(v));
        return add(name, DType.BF16, shape, b.array());
    }

    HandMadeSafetensors addF16(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(DType.f32ToF16(v));
        return add(name, DType.F16, shape, b.array());
    }

    HandMadeSafetensors addI64(String name, long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return add(name, DType.I64, shape, b.array());
    }

    HandMadeSafetensors metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    HandMadeSafetensors headerOrder(String... names) {
        headerOrder = List.of(names);
        return this;
    }

    HandMadeSafetensors padding(int spaces) {
        padding = spaces;
        return this;
    }

    String headerJson() {
        Map<String, String> entries = new LinkedHashMap<>();
        long offset = 0;
        for (Tensor t : tensors) {
            StringBuilder shape = new StringBuilder("[");
            for (int i = 0; i < t.shape.length; i++) shape.append(i == 0 ? "" : ",").append(t.shape[i]);
            shape.append(']');
            entries.put(t.name, "{\"dtype\":\"" + t.dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + offset
                    + "," + (offset + t.data.length) + "]}");
            offset += t.data.length;
        }
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            boolean f = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                sb.append(f ? "" : ",").append('"').append(m.getKey()).append("\":\"").append(m.getValue()).append('"');
                f = false;
            }
            sb.append('}');
            first = false;
        }
        List<String> order = headerOrder != null ? headerOrder : new ArrayList<>(entries.keySet());
        for (String name : order) {
            sb.append(first ? "" : ",").append('"').append(name).append("\":").append(entries.get(name));
            first = false;
        }
        sb.append('}');
        return sb + " ".repeat(padding);
    }

    byte[] data() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Tensor t : tensors) out.writeBytes(t.data);
        return out.toByteArray();
    }

    byte[] toBytes() {
        return assemble(headerJson().getBytes(StandardCharsets.UTF_8), data());
    }

    Path write(Path file) throws IOException {
        Files.write(file, toBytes());
        return file;
    }

    /** 8-byte little-endian length, header bytes, data. */
    static byte[] assemble(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    /** A file with {@code header} as its JSON and {@code dataBytes} zero bytes of data. */
    static Path writeRaw(Path file, String header, int dataBytes) throws IOException {
        Files.write(file, assemble(header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]));
        return file;
    }

    static long[] shape(long... dims) {
        return Arrays.copyOf(dims, dims.length);
    }
}
