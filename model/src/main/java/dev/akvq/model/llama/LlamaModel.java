package dev.akvq.model.llama;

import dev.akvq.model.ModelDirectory;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.WeightReader;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.Arrays;
import java.util.Optional;

/**
 * A text decoder (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) behind the family-neutral
 * {@link VisionLanguageModel}: the prompt is tokenized as written, with the tokenizer's special
 * tokens (BOS), every position is text, and {@link LlamaDecoder} runs it.
 */
public final class LlamaModel implements VisionLanguageModel {
    private final ModelDirectory directory;
    private final LlamaDecoder decoder;

    public LlamaModel(ModelDirectory directory, LlamaDecoder decoder) {
        this.directory = directory;
        this.decoder = decoder;
    }

    /** Reads {@code model.*} and {@code lm_head.weight} (tied to the embeddings when the config says so). */
    public static LlamaModel load(Checkpoint checkpoint, TextDecoderConfig config, WorkerPool pool) {
        return load(WeightReader.of(checkpoint, config), config, pool);
    }

    /** As {@link #load(Checkpoint, TextDecoderConfig, WorkerPool)}, through the tensors {@code weights} declares. */
    public static LlamaModel load(WeightReader weights, TextDecoderConfig config, WorkerPool pool) {
        LlamaDecoder decoder = LlamaDecoder.forCausalLm(weights, config, pool);
        weights.requireAllTaken();
        return new LlamaModel(new ModelDirectory(weights.directory()), decoder);
    }

    @Override
    public TextDecoderConfig config() {
        return decoder.config();
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    @Override
    public boolean warmUp(KvCacheSettings settings) {
        return decoder.warmUp(settings);
    }

    @Override
    public ModelDirectory files() {
        return directory;
    }

    @Override
    public boolean takesImages() {
        return false;
    }

    @Override
    public PreparedPrompt prepare(PromptInput input, Trace trace) {
        if (input.hasRawImages() || input.pixels().isPresent()) {
            throw new IllegalArgumentException(directory.path() + " is a text decoder (" + config().modelType() + "); it takes no images");
        }
        int[] ids = input.ids().orElseGet(() -> tokenizer().encode(input.text().orElseThrow(), true));
        Modality[] modality = new Modality[ids.length];
        Arrays.fill(modality, Modality.TEXT);
        return new PreparedPrompt(ids, decoder.embed(ids), modality, Optional.empty());
    }

    @Override
    public LlamaSequence prefill(PreparedPrompt prompt, KvCacheSettings settings, Trace trace) {
        return LlamaSequence.prefilled(decoder, prompt, settings, trace);
    }

    @Override
    public LlamaSequence queue(PreparedPrompt prompt, KvCacheSettings settings) {
        return LlamaSequence.queued(decoder, prompt, settings);
    }
}
