package dev.akvq.model.eval;

import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;

/**
 * The TSA/PSA calibration (docs/akvq-vl.md, "Calibration") on any family: each prompt's FP32 prefill with its
 * attention probabilities ({@code attn_probs.{l}}, {@code [1, heads, n, n]}) goes into quant's
 * {@link AttentionCalibration}, with the prompt builder's modality of every position.
 */
public final class LayerCalibration {
    private final VisionLanguageModel model;
    private final AttentionCalibration statistic;
    private int prompts;

    public LayerCalibration(VisionLanguageModel model) {
        this.model = model;
        this.statistic = new AttentionCalibration(model.config().textConfig().numHiddenLayers());
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
                if (name.startsWith("attn_probs.")) {
                    statistic.add(Integer.parseInt(name.substring("attn_probs.".length())), data, heads, n, modality);
                }
            }
        };
        model.prefill(prompt, KvCacheSettings.defaults(KvMode.FP32), probabilities).close();
        prompts++;
    }

    public int prompts() {
        return prompts;
    }

    public AttentionCalibration statistic() {
        return statistic;
    }
}
