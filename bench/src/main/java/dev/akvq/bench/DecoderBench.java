package dev.akvq.bench;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Whole-decoder speed on real shapes with random BF16 weights ({@link RandomCheckpoint}, written
 * to {@code -Dakvq.bench.dir}, default /tmp/akvq-bench, on first use): one decode step after a
 * 32-token prompt, a 128-token prefill, and, as the bound for decode, one read of every weight
 * byte a decode step reads (all matrices, the tied lm_head included) with the same threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DecoderBench {
    @Param({"smollm2-360m", "llama3.2-1b"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    static final int PROMPT = 32, PREFILL = 128;

    WorkerPool pool;
    Checkpoint checkpoint;
    LlamaDecoder decoder;
    LlamaSequence sequence;
    int[] prompt;
    int next;
    /** Bytes one decode step reads: every matrix once (embedding rows aside, the tied lm_head reads it whole). */
    long bytesPerToken;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Path dir = Path.of(System.getProperty("akvq.bench.dir", "/tmp/akvq-bench"), shape);
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            RandomCheckpoint.write(shape.equals("llama3.2-1b") ? RandomCheckpoint.LLAMA32_1B : RandomCheckpoint.SMOLLM2_360M, dir);
        }
        TextDecoderConfig config = (TextDecoderConfig) ModelConfig.load(dir);
        pool = WorkerPool.create(threads);
        checkpoint = Checkpoint.open(dir);
        decoder = LlamaDecoder.forCausalLm(checkpoint, config, pool);
        bytesPerToken = checkpoint.tensors().stream().filter(t -> t.rank() == 2).mapToLong(WeightTensor::byteSize).sum();
        prompt = new int[PREFILL];
        for (int i = 0; i < PREFILL; i++) prompt[i] = 1 + (i * 7919) % (config.vocabSize() - 1);
    }

    @Setup(Level.Iteration)
    public void newSequence() {
        sequence = new LlamaSequence(decoder, KvCacheSettings.defaults(KvMode.FP32));
        Modality[] text = new Modality[PROMPT];
        Arrays.fill(text, Modality.TEXT);
        sequence.prefill(decoder.embed(Arrays.copyOf(prompt, PROMPT)), text, Trace.NONE);
        next = 5;
    }

    @TearDown(Level.Trial)
    public void close() {
        checkpoint.close();
        pool.close();
    }

    @Benchmark
    public float[] decodeStep() {
        float[] logits = sequence.step(next);
        next = 1 + (next * 31) % 1000;
        return logits;
    }

    @Benchmark
    public float[] prefill128() {
        LlamaSequence s = new LlamaSequence(decoder, KvCacheSettings.defaults(KvMode.FP32));
        Modality[] text = new Modality[PREFILL];
        Arrays.fill(text, Modality.TEXT);
        float[] normed = s.prefill(decoder.embed(prompt), text, Trace.NONE);
        return s.lastLogits(normed, PREFILL);
    }

    /** The bound: one read of the bytes a decode step reads, split over the same threads. */
    @Benchmark
    public float readWeights() {
        float[] sums = new float[checkpoint.files().size() * 64];
        for (SafetensorsFile file : checkpoint.files()) {
            for (WeightTensor t : file.tensors()) {
                if (t.rank() != 2) continue;
                long size = t.byteSize(), chunk = (size + 63) / 64 / 64 * 64 + 64;
                pool.forRange(64, (start, end) -> {
                    for (int c = start; c < end; c++) {
                        long from = Math.min(size, c * chunk), to = Math.min(size, from + chunk);
                        sums[c] += MemoryRead.sum(t.data(), from, to);
                    }
                });
            }
        }
        return sums[0] + sums[63];
    }
}
