package dev.akvq.conformance;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Edits one element of a tensor in a safetensors file in place, to make broken copies of fixtures. */
final class Safetensors {
    private Safetensors() {}

    /** Writes {@code bytes} (one element, little-endian) at element {@code index} of {@code tensor}. */
    static void poke(Path file, String tensor, long index, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] length = new byte[8];
            f.readFully(length);
            long headerLength = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[(int) headerLength];
            f.readFully(header);
            JsonObject entry = ((JsonObject) Json.parse(new String(header, StandardCharsets.UTF_8), file.toString())).requireObject(tensor);
            List<Integer> offsets = entry.optIntList("data_offsets").orElseThrow();   // fixtures are far below 2 GiB
            long at = 8 + headerLength + offsets.get(0) + index * bytes.length;
            if (at + bytes.length > 8 + headerLength + offsets.get(1)) throw new IllegalArgumentException(tensor + " has no element " + index);
            f.seek(at);
            f.write(bytes);
        }
    }
}
