package dev.akvq.model.eval;

import dev.akvq.model.Trace;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.ChannelStatisticsRecorder;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import java.util.List;

/**
 * The TSA/PSA calibration of the AKVQ-VL spec on a LLaVA model: each prompt's FP32 prefill with
 * its attention probabilities ({@code attn_probs.{l}}, {@code [1, heads, n, n]}) goes into quant's
 * {@link AttentionCalibration}, with the prompt builder's modality of every position; the same
 * prefill records each layer's largest |key|, |query| and |value| per channel
 * ({@link KvChannelStatistics}, for the smoothquant and skvq baselines).
 */
public final class LlavaCalibration {
    private final LlavaModel model;
    private final AttentionCalibration statistic;
    private final KvChannelStatistics channels;
    private int prompts;

    public LlavaCalibration(LlavaModel model) {
        this.model = model;
        var text = model.config().textConfig();
        this.statistic = new AttentionCalibration(text.numHiddenLayers());
        this.channels = new KvChannelStatistics(text.numHiddenLayers(), text.numKeyValueHeads(), text.headDim());
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
        LlamaSequence sequence = new LlamaSequence(model.decoder(), KvCacheSettings.defaults(KvMode.FP32));
        List<KeyValueStore> cache = sequence.cache();
        for (int l = 0; l < cache.size(); l++) cache.set(l, new ChannelStatisticsRecorder(cache.get(l), channels, l));
        sequence.prefill(model.mergedEmbeddings(ids, imageRows), modality, probabilities);
        prompts++;
    }

    public int prompts() {
        return prompts;
    }

    public KvChannelStatistics channels() {
        return channels;
    }

    public AttentionCalibration statistic() {
        return statistic;
    }
}
