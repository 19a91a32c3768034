package dev.akvq.bench;

import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Single-thread encode speed over the whole tokenizer corpus (tests/.../fixtures/tokenizers/
 * corpus.jsonl), no special tokens, and the load time of each tokenizer.json. The "bytes" counter
 * is UTF-8 bytes of text encoded per second (divide by 1e6 for MB/s). The Rust reference,
 * bench/tokenizer-reference/run.sh (npm tokenizers 0.23.2), encodes the same lines and the same
 * 20 KB chunks and prints MB/s and the id counts to compare. Run from the repository root, after
 * tokenizer/fetch-llama2.sh has fetched the Llama 2 files:
 * {@code ./akvq bench TokenizerBench} (JMH arguments after it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TokenizerBench {
    static final int CHUNK_BYTES = 20_000;

    @Param({"gpt2", "qwen3", "llama2"})
    public String tokenizer;

    Path dir;
    Tokenizer loaded;
    List<String> lines;
    List<String> chunks;
    long lineBytes, chunkBytes;

    /** Bytes of text encoded, reported per second as a secondary result. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        Path fixtures = Path.of(System.getProperty("akvq.root", ".")).resolve("tests/src/test/resources/fixtures/tokenizers");
        dir = tokenizer.equals("llama2") ? Path.of(System.getProperty("akvq.root", ".")).resolve("tokenizer/target/llama2")
                : fixtures.resolve(tokenizer);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalStateException(dir.resolve("tokenizer.json") + " is missing: run from the repository root"
                    + (tokenizer.equals("llama2") ? " after bash tokenizer/fetch-llama2.sh" : ""));
        }
        loaded = Tokenizer.load(dir);
        lines = corpus(fixtures.resolve("corpus.jsonl"));
        chunks = chunks(lines);
        lineBytes = lines.stream().mapToLong(TokenizerBench::utf8Bytes).sum();
        chunkBytes = chunks.stream().mapToLong(TokenizerBench::utf8Bytes).sum();
        long lineIds = lines.stream().mapToLong(l -> loaded.encode(l, false).length).sum();
        long chunkIds = chunks.stream().mapToLong(c -> loaded.encode(c, false).length).sum();
        System.out.printf("%n%s: corpus %d lines, %d bytes, ids %d; %d chunks of >= %d bytes (%d bytes), ids %d%n", tokenizer,
                lines.size(), lineBytes, lineIds, chunks.size(), CHUNK_BYTES, chunkBytes, chunkIds);
    }

    static List<String> corpus(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) out.add(Json.parseObject(line, file.toString()).requireString("text"));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines joined with "\n" until a chunk holds at least CHUNK_BYTES UTF-8 bytes (the same as bench.js). */
    static List<String> chunks(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = null;
        for (String line : lines) {
            current = current == null ? new StringBuilder(line) : current.append('\n').append(line);
            if (utf8Bytes(current.toString()) >= CHUNK_BYTES) {
                out.add(current.toString());
                current = null;
            }
        }
        if (current != null) out.add(current.toString());
        return out;
    }

    static long utf8Bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Every corpus line, one encode each. */
    @Benchmark
    public long encodeLines(Counters counters) {
        return encodeEach(lines, lineBytes, counters);
    }

    /** The corpus as 20 KB chunks, one encode each. */
    @Benchmark
    public long encodeChunks(Counters counters) {
        return encodeEach(chunks, chunkBytes, counters);
    }

    private long encodeEach(List<String> texts, long bytes, Counters counters) {
        long ids = 0;
        for (String t : texts) ids += loaded.encode(t, false).length;
        counters.bytes += bytes;
        return ids;
    }

    /** Tokenizer.load of the directory (tokenizer.json and tokenizer_config.json); ops/s, so 1000 / score = ms. */
    @Benchmark
    public Tokenizer load() {
        return Tokenizer.load(dir);
    }
}
