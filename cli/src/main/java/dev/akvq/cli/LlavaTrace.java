package dev.akvq.cli;

import dev.akvq.model.generate.Greedy;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ClipVisionConfig;
import java.util.Arrays;

/**
 * {@code akvq trace} for LLaVA checkpoints: {@code <prefix>input_ids [1, seq]} and
 * {@code <prefix>pixel_values [images, channels, H, W]} in, every intermediate out under the
 * goldens' names (without the prefix): pixel_values, vision_hidden_states.{i}, vision_features,
 * projector_output, then the decoder's names, logits, position_ids and the greedy decode.
 */
final class LlavaTrace {
    private LlavaTrace() {}

    static void run(LlavaModel model, SafetensorsFile in, String prefix, KvMode mode, int decodeSteps, TraceFile trace) {
        WeightTensor idsTensor = in.require(prefix + "input_ids");
        if (idsTensor.rank() != 2 || idsTensor.dim(0) != 1) {
            throw idsTensor.error("expected " + prefix + "input_ids of shape [1, seq] (one prompt; LLaVA batches are not traced), found "
                    + Arrays.toString(idsTensor.shape()));
        }
        int[] ids = Arrays.stream(idsTensor.toLongArray()).mapToInt(Math::toIntExact).toArray();
        var mask = in.find(prefix + "attention_mask");
        if (mask.isPresent() && Arrays.stream(mask.get().toLongArray()).anyMatch(m -> m != 1)) {
            throw mask.get().error("expected " + prefix + "attention_mask all ones (padding is not traced for LLaVA)");
        }
        ClipVisionConfig v = model.config().visionConfig();
        float[] pixels = new float[0];
        int images = 0;
        var pixelTensor = in.find(prefix + "pixel_values");
        if (pixelTensor.isPresent()) {
            WeightTensor p = pixelTensor.get();
            if (p.rank() != 4 || p.dim(1) != v.numChannels() || p.dim(2) != v.imageSize() || p.dim(3) != v.imageSize()) {
                throw p.error("expected " + prefix + "pixel_values of shape [images, " + v.numChannels() + ", " + v.imageSize() + ", "
                        + v.imageSize() + "] (vision_config), found " + Arrays.toString(p.shape()));
            }
            images = Math.toIntExact(p.dim(0));
        }
        model.checkImageTokens(ids, images);       // before reading any pixels
        if (pixelTensor.isPresent()) pixels = pixelTensor.get().toFloatArray();

        LlavaModel.Prefilled prefilled = model.prefill(ids, pixels, images, mode, trace);
        int n = ids.length, vocab = model.config().textConfig().vocabSize();
        float[] logits = model.decoder().allLogits(prefilled.normed(), n);
        trace.put("logits", logits, 1, n, vocab);
        long[] positions = new long[n];
        for (int t = 0; t < n; t++) positions[t] = t;
        trace.writer.i64("position_ids", positions, 1, n);

        if (decodeSteps > 0) {
            long[] tokens = new long[decodeSteps];
            float[] stepLogits = new float[decodeSteps * vocab];
            float[] last = Arrays.copyOfRange(logits, (n - 1) * vocab, n * vocab);
            for (int s = 0; s < decodeSteps; s++) {
                System.arraycopy(last, 0, stepLogits, s * vocab, vocab);
                tokens[s] = Greedy.argmax(last);
                if (s + 1 < decodeSteps) last = prefilled.sequence().step((int) tokens[s]);
            }
            trace.writer.i64("decode_tokens", tokens, 1, decodeSteps);
            trace.put("decode_logits", stepLogits, 1, decodeSteps, vocab);
        }
    }
}
