package dev.akvq.model.eval;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;

/**
 * The TSA/PSA calibration (docs/akvq-vl.md, "Calibration") on any family: each prompt's FP32 prefill with its
 * attention probabilities ({@code attn_probs.{l}}, {@code [1, heads, n, n]}) goes into quant's
 * {@link AttentionCalibration}, with the prompt builder's modality of every position. The same
 * prefill's post-RoPE queries ({@code attn_query.{l}}) and cached keys and values
 * ({@code kv.key.{l}}, {@code kv.value.{l}}) give each channel's largest |q|, |k|, |v|
 * ({@link KvChannelStatistics}: the calibration of the smoothquant and skvq caches).
 */
public final class LayerCalibration {
    private final VisionLanguageModel model;
    private final AttentionCalibration statistic;
    private final KvChannelStatistics channels;
    private int prompts;

    public LayerCalibration(VisionLanguageModel model) {
        this.model = model;
        var text = model.config().textConfig();
        this.statistic = new AttentionCalibration(text.numHiddenLayers());
        this.channels = new KvChannelStatistics(text.numHiddenLayers(), text.numKeyValueHeads(), text.headDim());
    }

    /** Adds one prompt with its images. */
    public void add(PromptInput input) {
        PreparedPrompt prompt = model.prepare(input, Trace.NONE);
        Modality[] modality = prompt.modality();
        int heads = model.config().textConfig().numAttentionHeads(), n = prompt.tokens();
        Trace probabilities = new Trace() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public void put(String name, float[] data, long... shape) {
                int dot = name.lastIndexOf('.');
                String kind = name.substring(0, dot + 1);
                switch (kind) {
                    case "attn_probs." -> statistic.add(Integer.parseInt(name.substring(dot + 1)), data, heads, n, modality);
                    case "attn_query." -> channels.addQueries(Integer.parseInt(name.substring(dot + 1)), data, n, heads);
                    case "kv.key." -> channels.addKeys(Integer.parseInt(name.substring(dot + 1)), data, n);
                    case "kv.value." -> channels.addValues(Integer.parseInt(name.substring(dot + 1)), data, n);
                    default -> { }
                }
            }
        };
        model.prefill(prompt, KvCacheSettings.defaults(KvMode.FP32), probabilities).close();
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
