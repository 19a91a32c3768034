package dev.akvq.weights;

import dev.akvq.tensor.DType;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.akvq.weights.HandMadeSafetensors.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Hostile-input properties: a valid small safetensors file with bytes overwritten, inserted,
 * deleted or cut off, or with its JSON header edited (length field kept consistent so the edit
 * reaches the semantic checks), either opens, and then every tensor's bytes can be read within
 * bounds, or fails with a WeightsFormatException naming the file. Anything else
 * (IndexOutOfBounds, NumberFormatException, OutOfMemoryError, StackOverflowError) fails the
 * property.
 */
class MutatedFilesPropertyTest {
    @TempDir
    Path dir;

    private static final List<byte[]> SEEDS = List.of(
            new HandMadeSafetensors()
                    .addF32("model.layers.0.w", shape(2, 3), 1, 2, 3, 4, 5, 6)
                    .addBf16("norm", shape(3), 1, 2, 3)
                    .addI64("ids", shape(2), 10, 20)
                    .headerOrder("norm", "ids", "model.layers.0.w")
                    .metadata("format", "pt")
                    .toBytes(),
            new HandMadeSafetensors().addF16("h", shape(1, 1, 2), 0.5f, 2).addF32("s", shape(), 7).padding(5).toBytes(),
            new HandMadeSafetensors().addF32("z", shape(0, 3)).add("u", DType.U8, shape(3), new byte[] {1, 2, 3})
                    .toBytes());

    /** Characters an edit of the header JSON draws from: structure, digits, escapes, junk. */
    private static final String HEADER_EDITS = "{}[]\",:0123456789-+.eE \\u\"nulltruefalse\u00e9\u0001/";

    private int opened;
    private int rejected;
    private int rejectedAfterParsing;

    /**
     * Each outcome must occur often, or the mutations are not reaching the checks they target:
     * files that open, files rejected, and files whose header parsed but failed the safetensors
     * checks (offsets, shapes, dtypes) rather than the JSON syntax.
     */
    private void assertOutcomesSeen(int minOpened, int minRejectedAfterParsing) {
        String tally = "opened " + opened + ", rejected " + rejected + " (" + rejectedAfterParsing
                + " after the JSON parsed) of 2500";
        assertTrue(opened >= minOpened && rejected >= 500 && rejectedAfterParsing >= minRejectedAfterParsing, tally);
    }

    @Test
    void mutatedBytesOpenOrFailWithANamedFormatError() {
        qt().withExamples(2500).forAll(integers().between(0, SEEDS.size() - 1), integers().between(0, 5), longs().all())
                .checkAssert((seed, kind, random) -> check(mutateBytes(SEEDS.get(seed), kind, new Random(random))));
        assertOutcomesSeen(100, 100);
    }

    @Test
    void editedHeadersOpenOrFailWithANamedFormatError() {
        qt().withExamples(2500).forAll(integers().between(0, SEEDS.size() - 1), integers().between(1, 4), longs().all())
                .checkAssert((seed, edits, random) -> check(editHeader(SEEDS.get(seed), edits, new Random(random))));
        assertOutcomesSeen(25, 100);
    }

    @Test
    void randomJsonParsesOrFailsWithAPositionedError() {
        qt().withExamples(3000).forAll(integers().between(0, 60), longs().all()).checkAssert((length, random) -> {
            Random r = new Random(random);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < length; i++) sb.append(HEADER_EDITS.charAt(r.nextInt(HEADER_EDITS.length())));
            try {
                Json.parse(sb.toString(), "fuzz.json");
            } catch (JsonFormatException e) {
                assertTrue(e.getMessage().startsWith("fuzz.json:" + e.line() + ":" + e.column() + ": "), e::getMessage);
                assertTrue(e.line() >= 1 && e.column() >= 1, e::getMessage);
            }
        });
    }

    private static byte[] mutateBytes(byte[] file, int kind, Random r) {
        int headerEnd = 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        // Most positions fall in the length field and header, where the parsing happens.
        int pos = r.nextInt(4) < 3 ? r.nextInt(headerEnd) : r.nextInt(file.length);
        return switch (kind) {
            case 0 -> { // overwrite 1-4 bytes
                // All in the header (most fail to parse) or all anywhere (data edits must open).
                byte[] out = file.clone();
                int n = 1 + r.nextInt(4);
                int bound = r.nextBoolean() ? headerEnd : out.length;
                for (int i = 0; i < n; i++) out[r.nextInt(bound)] = (byte) r.nextInt(256);
                yield out;
            }
            case 1 -> Arrays.copyOf(file, r.nextInt(file.length)); // truncate
            case 2 -> { // insert a byte
                byte[] out = new byte[file.length + 1];
                System.arraycopy(file, 0, out, 0, pos);
                out[pos] = (byte) r.nextInt(256);
                System.arraycopy(file, pos, out, pos + 1, file.length - pos);
                yield out;
            }
            case 3 -> { // delete a byte
                byte[] out = new byte[file.length - 1];
                System.arraycopy(file, 0, out, 0, pos);
                System.arraycopy(file, pos + 1, out, pos, file.length - pos - 1);
                yield out;
            }
            case 5 -> { // overwrite 1-4 bytes of tensor data: must always open
                byte[] out = file.clone();
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n && headerEnd < out.length; i++) {
                    out[headerEnd + r.nextInt(out.length - headerEnd)] = (byte) r.nextInt(256);
                }
                yield out;
            }
            default -> { // the length field set to a value near a boundary
                byte[] out = file.clone();
                long[] lengths = {0, 1, headerEnd - 9, headerEnd - 7, file.length - 8, file.length - 7, Long.MAX_VALUE,
                        -1, 100_000_001, 1L << 32};
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[r.nextInt(lengths.length)]);
                yield out;
            }
        };
    }

    /** Edits the header text (replace, insert or delete characters) and rewrites the length field to match. */
    private static byte[] editHeader(byte[] file, int edits, Random r) {
        int headerLength = (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        StringBuilder header = new StringBuilder(new String(file, 8, headerLength, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(file, 8 + headerLength, file.length);
        for (int i = 0; i < edits; i++) {
            int at = r.nextInt(header.length());
            char c = HEADER_EDITS.charAt(r.nextInt(HEADER_EDITS.length()));
            switch (r.nextInt(4)) {
                case 0 -> header.setCharAt(at, c);
                case 1 -> header.insert(at, c);
                case 2 -> header.deleteCharAt(at);
                default -> { // a digit for another digit: reaches the shape and offset checks
                    if (Character.isDigit(header.charAt(at))) header.setCharAt(at, (char) ('0' + r.nextInt(10)));
                    else header.setCharAt(at, c);
                }
            }
            if (header.isEmpty()) header.append(c);
        }
        if (r.nextInt(8) == 0) data = Arrays.copyOf(data, Math.max(0, data.length + r.nextInt(9) - 4)); // data cut or grown
        return HandMadeSafetensors.assemble(header.toString().getBytes(StandardCharsets.UTF_8), data);
    }

    private void check(byte[] bytes) {
        Path file = dir.resolve("fuzzed.safetensors");
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (WeightTensor t : f.tensors()) {
                MemorySegment d = t.data();
                assertEquals(t.elementCount() * t.dtype().size, d.byteSize(), t::toString);
                long sum = 0;
                for (long i = 0; i < d.byteSize(); i++) sum += d.get(ValueLayout.JAVA_BYTE, i);
                if (t.dtype().isFloatWeight()) assertEquals(t.elementCount(), t.toFloatArray().length);
                else if (t.dtype() != DType.F64 && t.dtype() != DType.U64 && !t.dtype().name().startsWith("F8")) {
                    assertEquals(t.elementCount(), t.toLongArray().length);
                }
                assertTrue(sum != Long.MIN_VALUE);
            }
            opened++;
        } catch (WeightsFormatException e) {
            assertTrue(e.getMessage().contains("fuzzed.safetensors"), e::getMessage);
            rejected++;
            if (!e.getMessage().contains("(JSON header)")) rejectedAfterParsing++;
        }
    }
}
