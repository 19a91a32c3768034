package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The merge on the llava fixture: image rows land exactly at the image-token positions, in
 * order, every other row is the token's embedding, and those positions are the VISION ones;
 * a prompt whose image tokens do not fit the images is refused before any vision work.
 */
class LlavaMergeTest {
    static LlavaConfig config;
    static Checkpoint checkpoint;
    static WorkerPool pool;
    static LlavaModel model;

    @BeforeAll
    static void load() {
        config = (LlavaConfig) ModelConfig.load(Fixtures.model("llava"));
        checkpoint = Checkpoint.open(Fixtures.model("llava"));
        pool = WorkerPool.create(1);
        model = LlavaModel.load(checkpoint, config, pool);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
        pool.close();
    }

    @Test
    void imageRowsReplaceTheImageTokensInOrderAndNothingElse() {
        int hidden = config.textConfig().hiddenSize(), image = config.imageTokenIndex(), per = model.tokensPerImage();
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int images = r.nextInt(4), text = 1 + r.nextInt(30), n = text + images * per;
            int[] ids = new int[n];
            // Text ids anywhere, image tokens in random places (not necessarily contiguous).
            boolean[] isImage = new boolean[n];
            for (int placed = 0; placed < images * per; ) {
                int t = r.nextInt(n);
                if (!isImage[t]) { isImage[t] = true; placed++; }
            }
            for (int t = 0; t < n; t++) ids[t] = isImage[t] ? image : r.nextInt(image);
            float[] rows = new float[images * per * hidden];
            for (int i = 0; i < rows.length; i++) rows[i] = (float) r.nextGaussian();
            float[] x = model.mergedEmbeddings(ids, rows);
            Modality[] modality = model.modality(ids);
            float[] embedded = model.decoder().embed(Arrays.stream(ids).map(id -> id == image ? 0 : id).toArray());
            int next = 0;
            for (int t = 0; t < n; t++) {
                float[] row = Arrays.copyOfRange(x, t * hidden, (t + 1) * hidden);
                if (isImage[t]) {
                    assertArrayEquals(Arrays.copyOfRange(rows, next * hidden, (next + 1) * hidden), row, "image row " + next + " at " + t);
                    assertEquals(Modality.VISION, modality[t]);
                    next++;
                } else {
                    assertArrayEquals(Arrays.copyOfRange(embedded, t * hidden, (t + 1) * hidden), row, "text row at " + t);
                    assertEquals(Modality.TEXT, modality[t]);
                }
            }
            assertEquals(images * per, next);
        });
    }

    @Test
    void moreImagesThanSlotsOrTooFewImageTokensAreRefused() {
        int[] ids = new int[20];
        Arrays.fill(ids, 4, 20, config.imageTokenIndex());           // one image's 16 tokens
        // Two images but slots for one: refused before the (absent) image files are read.
        List<Path> absent = List.of(Path.of("absent-1.png"), Path.of("absent-2.png"));
        var e = assertThrows(IllegalArgumentException.class, () -> model.prepare(PromptInput.ids(ids).withImageFiles(absent), Trace.NONE));
        assertTrue(e.getMessage().contains("16 image tokens") && e.getMessage().contains("2 images need 32")
                && e.getMessage().contains("slots for 1"), e.getMessage());
        ids[4] = 3;
        var f = assertThrows(IllegalArgumentException.class,
                () -> model.prepare(PromptInput.ids(ids).withImageFiles(absent.subList(0, 1)), Trace.NONE));
        assertTrue(f.getMessage().contains("15 image tokens") && f.getMessage().contains("need 16"), f.getMessage());
    }
}
