package dev.akvq.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.Trace;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up changes no result: a sequence decoded after {@link DecoderWarmup#run} gives the same
 * logits, bit for bit, as before it, in the FP16 and the 2-bit cache, with the weights memory-mapped
 * from a file as a checkpoint's are (so the warm-up's mapping thread runs too).
 */
public class DecoderWarmupTest {
    @TempDir
    Path dir;

    @Test
    void decodingAfterTheWarmUpGivesTheSameLogits() throws IOException {
        SplittableRandom r = new SplittableRandom(13);
        int heads = 4, kvHeads = 2, headDim = 64, hidden = 96, ffn = 160, layers = 2, vocab = 60;
        TextDecoderConfig c = new TextDecoderConfig("llama", vocab, hidden, ffn, layers, heads, kvHeads, headDim, "silu", 1024,
                1e-5, 10000, Optional.empty(), false, false, false, Optional.empty(), false, OptionalInt.empty(), List.of(),
                OptionalInt.empty());
        try (Arena arena = Arena.ofShared()) {
            int q = heads * headDim, kv = kvHeads * headDim;
            List<LlamaWeights.Layer> list = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                list.add(new LlamaWeights.Layer(CachedDecodeTest.norm(r, hidden), mapped(r, arena, q, hidden), mapped(r, arena, kv, hidden),
                        mapped(r, arena, kv, hidden), mapped(r, arena, hidden, q), Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty(), CachedDecodeTest.norm(r, hidden), mapped(r, arena, ffn, hidden), mapped(r, arena, ffn, hidden),
                        mapped(r, arena, hidden, ffn), Optional.empty(), Optional.empty(), Optional.empty()));
            }
            LlamaWeights weights = new LlamaWeights(mapped(r, arena, vocab, hidden), list, CachedDecodeTest.norm(r, hidden),
                    mapped(r, arena, vocab, hidden));
            assertTrue(weights.lmHead().data().isMapped(), "weights mapped from a file");
            LlamaDecoder decoder = new LlamaDecoder(c, weights, CachedDecodeTest.POOL);
            int[] ids = CachedDecodeTest.ids(r, 150, vocab);
            for (KvMode mode : List.of(KvMode.FP16, KvMode.AKVQ)) {
                KvCacheSettings settings = KvCacheSettings.defaults(mode);
                float[] before = decode(decoder, settings, ids);
                DecoderWarmup.run(decoder, weights, settings);
                assertArrayEquals(before, decode(decoder, settings, ids), mode.flag() + ": logits changed by the warm-up");
            }
        }
    }

    /** The last prompt position's logits, then those of 8 decode steps, one after another. */
    private static float[] decode(LlamaDecoder decoder, KvCacheSettings settings, int[] ids) {
        int prompt = ids.length - 8, vocab = decoder.config().vocabSize();
        LlamaSequence s = new LlamaSequence(decoder, settings);
        float[] all = new float[9 * vocab];
        float[] logits = s.lastLogits(s.prefill(decoder.embed(Arrays.copyOf(ids, prompt)), CachedDecodeTest.text(prompt),
                Trace.NONE), prompt);
        System.arraycopy(logits, 0, all, 0, vocab);
        for (int t = 0; t < 8; t++) System.arraycopy(s.step(ids[prompt + t]), 0, all, (t + 1) * vocab, vocab);
        s.close();
        return all;
    }

    /** A random BF16 matrix written to a file of its own and mapped back, as a checkpoint's tensor is. */
    private MatrixView mapped(SplittableRandom r, Arena arena, int rows, int cols) throws IOException {
        MatrixView heap = CachedDecodeTest.m(r, DType.BF16, rows, cols);
        Path file = Files.createTempFile(dir, "matrix", ".bin");
        Files.write(file, heap.data().toArray(ValueLayout.JAVA_BYTE));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, 0, heap.data().byteSize(), arena);
            return new MatrixView(DType.BF16, rows, cols, data);
        }
    }
}
