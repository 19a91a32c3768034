package dev.akvq.weights;

import dev.akvq.tensor.DType;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A safetensors file, memory-mapped: every tensor is a zero-copy slice of the mapping.
 *
 * <p>Layout (safetensors spec, huggingface/safetensors README): 8 bytes little-endian u64
 * header length N; N bytes of UTF-8 JSON, an object mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string to string; then the data region. Offsets count from
 * the start of the data region.
 *
 * <p>Everything is validated from the header alone, before the data is mapped: the header
 * length fits the file and is at most {@link #MAX_HEADER_BYTES} (the reference reader's
 * MAX_HEADER_SIZE), the header is strict JSON (duplicate tensor names are duplicate keys and
 * rejected), each entry has exactly the three fields with the right types, the dtype is known,
 * dimensions are non-negative and their product times the dtype size neither overflows nor
 * differs from {@code end - begin}, and the offsets lie in the data region.
 *
 * <p>Coverage: sorted by offset, the tensors must tile the data region exactly, with no overlap,
 * no gap and no trailing bytes. The spec asks writers for this, and the reference Rust reader
 * (huggingface/safetensors, safetensors/src/tensor.rs at 000a16f4, {@code Metadata::validate}
 * and its caller) rejects a tensor that does not start where the previous one ended
 * (InvalidOffset) and a data region longer than the last tensor's end
 * (MetadataIncompleteBuffer). Accepting a file that the reference reader refuses would only
 * hide a truncated or hand-edited checkpoint, so holes are errors here too.
 *
 * <p>The mapping lives in a shared arena, so worker threads may read the slices; {@link #close}
 * unmaps it, after which touching a slice throws IllegalStateException.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted, in bytes: the reference reader's MAX_HEADER_SIZE. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    private final Path path;
    private final Arena arena;
    private final List<WeightTensor> tensors;
    private final Map<String, WeightTensor> byName;
    private final Map<String, String> metadata;
    private final long dataStart;

    private SafetensorsFile(Path path, Arena arena, List<WeightTensor> tensors, Map<String, String> metadata,
            long dataStart) {
        this.path = path;
        this.arena = arena;
        this.tensors = List.copyOf(tensors);
        Map<String, WeightTensor> map = new HashMap<>();
        for (WeightTensor t : tensors) map.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(map);
        this.metadata = metadata;
        this.dataStart = dataStart;
    }

    /** One validated header entry, before the data is mapped. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    /**
     * Opens and maps {@code path}, validating the whole header first.
     *
     * @throws WeightsFormatException naming the file (and tensor or field) for anything wrong
     */
    public static SafetensorsFile open(Path path) {
        String file = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new WeightsFormatException(file + ": file is " + size + " bytes long; a safetensors file starts"
                        + " with an 8-byte little-endian header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthBytes, 0, file);
            long headerLength = lengthBytes.getLong(0);
            // Compare as unsigned: a length with the top bit set reads negative as a long.
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw new WeightsFormatException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the " + (size - 8) + " bytes after the length field; the file is truncated"
                        + " or not safetensors");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new WeightsFormatException(file + ": header length " + headerLength + " exceeds the "
                        + MAX_HEADER_BYTES + "-byte limit of the safetensors reference reader");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(ch, headerBytes, 8, file);
            headerBytes.flip();
            String headerSource = file + " (JSON header)";
            String headerText = Json.decodeUtf8(headerBytes, headerSource);
            JsonValue header = Json.parse(headerText, headerSource);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;

            Map<String, String> metadata = Map.of();
            List<Entry> entries = new ArrayList<>();
            if (!(header instanceof JsonObject root)) {
                throw new WeightsFormatException(file + ": header must be a JSON object of tensor entries, found "
                        + header.describe());
            }
            for (Map.Entry<String, JsonValue> m : root.members().entrySet()) {
                if (m.getKey().equals(METADATA_KEY)) {
                    metadata = readMetadata(file, m.getValue());
                } else {
                    entries.add(readEntry(file, m.getKey(), m.getValue(), dataSize));
                }
            }
            checkTiling(file, entries, dataSize);

            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataSize, arena);
                List<WeightTensor> tensors = new ArrayList<>(entries.size());
                for (Entry e : entries) {
                    tensors.add(new WeightTensor(e.name, e.dtype, e.shape, mapped.asSlice(e.begin, e.end - e.begin),
                            path));
                }
                return new SafetensorsFile(path, arena, tensors, metadata, dataStart);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw new WeightsFormatException(file + ": no such file", e);
        } catch (IOException e) {
            throw new WeightsFormatException(file + ": cannot read: " + e, e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, String file) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new WeightsFormatException(file + ": file ended while reading bytes " + position + ".."
                        + (position + buf.capacity()) + " (it changed while being read?)");
            }
            at += n;
        }
    }

    private static Map<String, String> readMetadata(String file, JsonValue v) {
        if (!(v instanceof JsonObject o)) {
            throw new WeightsFormatException(file + ": \"" + METADATA_KEY + "\" must be an object of string values,"
                    + " found " + v.describe());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> m : o.members().entrySet()) {
            if (!(m.getValue() instanceof JsonString s)) {
                throw new WeightsFormatException(file + ": \"" + METADATA_KEY + "\" entry \"" + m.getKey()
                        + "\" must be a string, found " + m.getValue().describe());
            }
            out.put(m.getKey(), s.value());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry readEntry(String file, String name, JsonValue v, long dataSize) {
        String where = file + ": tensor \"" + name + "\": ";
        if (!(v instanceof JsonObject o)) {
            throw new WeightsFormatException(where + "expected an object {dtype, shape, data_offsets}, found "
                    + v.describe());
        }
        for (String key : o.keys()) {
            if (!ENTRY_KEYS.contains(key)) {
                throw new WeightsFormatException(where + "unexpected field \"" + key
                        + "\"; an entry has exactly dtype, shape and data_offsets");
            }
        }
        for (String key : List.of("dtype", "shape", "data_offsets")) {
            if (!o.has(key)) throw new WeightsFormatException(where + "field \"" + key + "\" is missing");
        }
        JsonValue dtypeValue = o.get("dtype").orElseThrow();
        if (!(dtypeValue instanceof JsonString dtypeName)) {
            throw new WeightsFormatException(where + "field \"dtype\": expected a string, found " + dtypeValue.describe());
        }
        DType dtype = DType.fromSafetensorsName(dtypeName.value()).orElseThrow(() -> new WeightsFormatException(
                where + "unknown dtype \"" + dtypeName.value() + "\"; known: " + Arrays.toString(DType.values())));
        long[] shape = nonNegativeLongs(where, "shape", o.get("shape").orElseThrow(), -1);
        long[] offsets = nonNegativeLongs(where, "data_offsets", o.get("data_offsets").orElseThrow(), 2);
        long begin = offsets[0];
        long end = offsets[1];

        long count = 1;
        long bytes;
        try {
            for (long d : shape) count = Math.multiplyExact(count, d);
            bytes = Math.multiplyExact(count, (long) dtype.size);
        } catch (ArithmeticException overflow) {
            throw new WeightsFormatException(where + "shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows 64 bits when multiplied out");
        }
        if (begin > end) {
            throw new WeightsFormatException(where + "data_offsets [" + begin + ", " + end + "] begin after they end");
        }
        if (end > dataSize) {
            throw new WeightsFormatException(where + "data_offsets [" + begin + ", " + end + "] reach past the end of"
                    + " the " + dataSize + "-byte data region (file truncated?)");
        }
        if (end - begin != bytes) {
            throw new WeightsFormatException(where + "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] nonNegativeLongs(String where, String field, JsonValue v, int requiredLength) {
        if (!(v instanceof JsonArray a)) {
            throw new WeightsFormatException(where + "field \"" + field + "\": expected an array of non-negative"
                    + " integers, found " + v.describe());
        }
        if (requiredLength >= 0 && a.size() != requiredLength) {
            throw new WeightsFormatException(where + "field \"" + field + "\": expected " + requiredLength
                    + " integers, found " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonValue e = a.get(i);
            Optional<Long> n = e instanceof JsonNumber num ? num.longValueExact() : Optional.empty();
            if (n.isEmpty() || n.get() < 0) {
                throw new WeightsFormatException(where + "field \"" + field + "\" element " + i
                        + ": expected a non-negative 64-bit integer, found " + e.describe());
            }
            out[i] = n.get();
        }
        return out;
    }

    /** Sorted by offset, the tensors must cover [0, dataSize) exactly once (see the class comment). */
    private static void checkTiling(String file, List<Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw new WeightsFormatException(file + ": tensor \"" + e.name + "\" [" + e.begin + ", " + e.end
                        + ") overlaps tensor \"" + previous.name + "\" [" + previous.begin + ", " + previous.end + ")");
            }
            if (e.begin > expected) {
                throw new WeightsFormatException(file + ": " + (e.begin - expected) + " unused bytes at data offset "
                        + expected + " before tensor \"" + e.name + "\"; safetensors requires tensors to tile the"
                        + " data region without gaps");
            }
            expected = e.end;
            previous = e;
        }
        if (expected != dataSize) {
            throw new WeightsFormatException(file + ": data region is " + dataSize + " bytes but the tensors end at "
                    + expected + "; " + (dataSize - expected) + " trailing bytes belong to no tensor (the reference"
                    + " reader rejects this as MetadataIncompleteBuffer)");
        }
    }

    public Path path() {
        return path;
    }

    /** Every tensor, in header order (not name order, not offset order). */
    public List<WeightTensor> tensors() {
        return tensors;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return tensors.stream().map(WeightTensor::name).toList();
    }

    public Optional<WeightTensor> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor, or an error naming the file and the tensor. */
    public WeightTensor require(String name) {
        WeightTensor t = byName.get(name);
        if (t == null) {
            throw new WeightsFormatException(path + ": no tensor \"" + name + "\" (the file holds " + tensors.size()
                    + " tensors)");
        }
        return t;
    }

    /** The {@code __metadata__} map (empty when absent), in header order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** File offset of the data region: 8 + header length. */
    public long dataStart() {
        return dataStart;
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
