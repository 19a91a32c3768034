package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.eval.EvalReport;
import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.eval.PromptSetEval;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPixels;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PromptSetEval}'s shortcuts against the plain way: the teacher-forced run stands for the
 * mode's greedy run only while their tokens agree, so every mode's answers must equal a direct
 * prefill-and-step greedy decode of the same cache (a harshly clipped rtn2 leaves FP32's tokens,
 * so the second decode is exercised); and the results must
 * not depend on how many rows decode at a time.
 */
class LlavaEvalTest {
    static final Path MODEL = Fixtures.model("llava-shapes");

    @Test
    void answersEqualADirectGreedyDecodeAndDoNotDependOnThreads() {
        List<EvalRow> rows = EvalRow.read(MODEL.resolve("eval/prompts.jsonl"), 8).subList(5, 8);
        // rtn2 clipped to a fifth of its range over a quantized prompt: harsh enough to leave FP32's tokens.
        KvCacheSettings d = KvCacheSettings.defaults(KvMode.RTN2);
        KvCacheSettings harsh = new KvCacheSettings(KvMode.RTN2, 0, d.pivots(), d.group(), 0.2f, d.clip4(), d.pivotRule(), true,
                false, d.layers());
        List<PromptSetEval.Mode> modes = List.of(new PromptSetEval.Mode("kivi2", KvCacheSettings.defaults(KvMode.KIVI2)),
                new PromptSetEval.Mode("akvq-w0", KvCacheSettings.defaults(KvMode.AKVQ).withWindow(0)),
                new PromptSetEval.Mode("rtn2-clip0.2", harsh));
        EvalReport two, one;
        try (PromptSetEval eval = new PromptSetEval(MODEL, 2)) {
            two = eval.evaluate(rows, modes, line -> {});
        }
        try (PromptSetEval eval = new PromptSetEval(MODEL, 1)) {
            one = eval.evaluate(rows, modes, line -> {});
        }
        // KL to 1e-6 relative, not bit for bit. The thread count alone moves nothing (each result is computed whole
        // by one thread, every lane sum in LaneSum's fixed order). What can move a last bit is when the JIT compiled a
        // loop: softmax and the activations take exp in double (VectorOperators.EXP: a compiled stub in C2, Math.exp
        // per lane before), which may differ in a double's last bit; rounded once to float that shows only for a value
        // within a double ulp of a float rounding boundary, rare but possible over a whole eval. Answers, bytes and
        // counts stay exact.
        for (int m = 0; m < modes.size(); m++) {
            EvalReport.ModeResult a = one.modes().get(m), b = two.modes().get(m);
            assertEquals(a.klVsFp32(), b.klVsFp32(), 1e-6 * a.klVsFp32(), a.name());
            assertEquals(a.kvBytes(), b.kvBytes(), a.name());
            assertEquals(a.correct(), b.correct(), a.name());
            assertEquals(a.meanAnswerMargin(), b.meanAnswerMargin(), 1e-6 * Math.max(1, Math.abs(a.meanAnswerMargin())), a.name());
        }

        LlavaConfig config = (LlavaConfig) ModelConfig.load(MODEL);
        int disagreements = 0;
        try (Checkpoint checkpoint = Checkpoint.open(MODEL); WorkerPool pool = WorkerPool.create(2)) {
            LlavaModel model = LlavaModel.load(checkpoint, config, pool);
            for (int i = 0; i < rows.size(); i++) {
                EvalRow row = rows.get(i);
                float[] pixels = LlavaPixels.pixelValues(MODEL, row.images(), config);
                for (int m = 0; m < modes.size(); m++) {
                    int[] direct = LlavaShapesTest.greedy(model.prefill(PromptInput.ids(row.inputIds().orElseThrow())
                            .withPixels(LlavaShapesTest.pixelValues(pixels, row.images().size(), config)), modes.get(m).settings(), Trace.NONE));
                    assertArrayEquals(direct, two.answers().get(i).perMode()[m], row.id() + " " + modes.get(m).name());
                    assertArrayEquals(direct, one.answers().get(i).perMode()[m], row.id() + " " + modes.get(m).name());
                    if (!Arrays.equals(direct, row.fp32Generated().orElseThrow())) disagreements++;
                }
            }
        }
        assertTrue(disagreements > 0, "some mode must leave FP32's tokens on these rows, or the fork is not tested");
    }
}
