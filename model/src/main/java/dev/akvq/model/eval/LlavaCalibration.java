package dev.akvq.model.eval;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;

/**
 * The TSA/PSA calibration of the AKVQ-VL spec on a LLaVA model: each prompt's FP32 prefill with
 * its attention probabilities ({@code attn_probs.{l}}, {@code [1, heads, n, n]}) goes into quant's
 * {@link AttentionCalibration}, with the prompt builder's modality of every position.
 */
public final class LlavaCalibration {
    private final LlavaModel model;
    private final AttentionCalibration statistic;
    private int prompts;

    public LlavaCalibration(LlavaModel model) {
        this.model = model;
        this.statistic = new AttentionCalibration(model.config().textConfig().numHiddenLayers());
    }

    /** Adds one prompt: its expanded ids and the pixel_values of its {@code images} images. */
    public void add(int[] ids, float[] pixelValues, int images) {
        model.checkImageTokens(ids, images);
        float[] imageRows = images == 0 ? new float[0] : model.imageFeatures(pixelValues, images, Trace.NONE);
        Modality[] modality = model.modality(ids);
        int heads = model.config().textConfig().numAttentionHeads(), n = ids.length;
        Trace probabilities = new Trace() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public void put(String name, float[] data, long... shape) {
                if (name.startsWith("attn_probs.")) {
                    statistic.add(Integer.parseInt(name.substring("attn_probs.".length())), data, heads, n, modality);
                }
            }
        };
        new LlamaSequence(model.decoder(), KvCacheSettings.defaults(KvMode.FP32))
                .prefill(model.mergedEmbeddings(ids, imageRows), modality, probabilities);
        prompts++;
    }

    public int prompts() {
        return prompts;
    }

    public AttentionCalibration statistic() {
        return statistic;
    }
}
