package dev.akvq.model;

import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ModelConfig;

/** A family's model together with the checkpoint and worker pool {@link VisionLanguageModel#load(Path, int)} opened for it. */
final class OwningModel implements VisionLanguageModel {
    private final VisionLanguageModel model;
    private final Checkpoint checkpoint;
    private final WorkerPool pool;

    OwningModel(VisionLanguageModel model, Checkpoint checkpoint, WorkerPool pool) {
        this.model = model;
        this.checkpoint = checkpoint;
        this.pool = pool;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public ModelDirectory files() {
        return model.files();
    }

    @Override
    public boolean takesImages() {
        return model.takesImages();
    }

    @Override
    public PreparedPrompt prepare(PromptInput input, Trace trace) {
        return model.prepare(input, trace);
    }

    @Override
    public TokenSequence prefill(PreparedPrompt prompt, KvCacheSettings settings, Trace trace) {
        return model.prefill(prompt, settings, trace);
    }

    @Override
    public boolean warmUp(KvCacheSettings settings) {
        return model.warmUp(settings);
    }

    @Override
    public LlamaDecoder decoder() {
        return model.decoder();
    }

    @Override
    public BatchedSequence queue(PreparedPrompt prompt, KvCacheSettings settings) {
        return model.queue(prompt, settings);
    }

    @Override
    public long mappedWeightBytes() {
        return checkpoint.files().stream().mapToLong(f -> f.path().toFile().length()).sum();
    }

    @Override
    public void close() {
        pool.close();
        checkpoint.close();
    }
}
