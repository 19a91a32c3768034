package dev.akvq.model;

import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.idefics3.Idefics3Model;
import dev.akvq.model.layout.CheckpointLayout;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaModel;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.nio.file.Path;

/**
 * One request path for every family: a prompt with its images in, a prefilled sequence out.
 * Each family's class ({@link LlamaModel} for the text decoders, {@link LlavaModel},
 * {@link Idefics3Model}, {@link Qwen2VLModel}) holds its whole request top to bottom in
 * {@code prepare}: prompt layout, image preprocessing, vision tower, projector, merge; then
 * {@link #prefill(PreparedPrompt, KvCacheSettings, Trace)} builds the KV cache and runs the decoder
 * over the prompt.
 *
 * <pre>
 * try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads);
 *      TokenSequence seq = model.prefill(PromptInput.text("Describe it.").withImageFiles(files), settings, Trace.NONE)) {
 *     float[] logits = seq.logits();      // then seq.step(token) per generated token
 * }
 * </pre>
 */
public interface VisionLanguageModel extends AutoCloseable {

    /**
     * The model in {@code dir}, its family chosen by config.json's model_type; it opens the
     * checkpoint and a pool of {@code threads} workers, and {@link #close()} releases both.
     */
    static VisionLanguageModel load(Path dir, int threads) {
        return load(dir, threads, false);
    }

    /**
     * As {@link #load(Path, int)}; a checkpoint holding tensors the architecture does not read
     * (config.json saying fewer layers than the weights hold, say) is refused unless
     * {@code allowUnusedWeights} ({@link CheckpointLayout#requireAllRead}).
     */
    static VisionLanguageModel load(Path dir, int threads, boolean allowUnusedWeights) {
        ModelConfig config = ModelConfig.load(dir);    // before anything is mapped: a bad config names its field
        Checkpoint checkpoint = Checkpoint.open(dir);
        WorkerPool pool = null;
        try {
            CheckpointLayout.check(config, checkpoint).requireAllRead(dir, allowUnusedWeights);
            pool = WorkerPool.create(threads);
            return new OwningModel(load(config, checkpoint, pool), checkpoint, pool);
        } catch (RuntimeException | Error e) {
            if (pool != null) pool.close();
            checkpoint.close();
            throw e;
        }
    }

    /** As {@link #load(Path, int)} with every core. */
    static VisionLanguageModel load(Path dir) {
        return load(dir, WorkerPool.defaultThreads());
    }

    /**
     * The model of an open checkpoint, its family chosen by {@code config}; the caller keeps
     * ownership of {@code checkpoint} and {@code pool} ({@link #close()} leaves them open).
     */
    static VisionLanguageModel load(ModelConfig config, Checkpoint checkpoint, WorkerPool pool) {
        return load(config, WeightReader.of(checkpoint, config), pool);
    }

    /**
     * The model whose tensors {@code weights} holds (the ones {@code ArchitectureLayout} declares for
     * {@code config}, which {@code akvq inspect} checks), its family chosen by {@code config}. A family
     * may read them on first use (Qwen2-VL, so that its prompt checks come first).
     */
    static VisionLanguageModel load(ModelConfig config, WeightReader weights, WorkerPool pool) {
        return switch (config) {
            case TextDecoderConfig text -> LlamaModel.load(weights, text, pool);
            case LlavaConfig llava -> LlavaModel.load(weights, llava, pool);
            case Idefics3Config idefics -> Idefics3Model.load(weights, idefics, pool);
            case Qwen2VLConfig qwen -> Qwen2VLModel.load(weights, qwen, pool);
        };
    }

    ModelConfig config();

    /** The model directory's files besides the weights. */
    ModelDirectory files();

    /** The model directory (tokenizer.json, preprocessor_config.json, generation_config.json). */
    default Path directory() {
        return files().path();
    }

    /** The model directory's tokenizer.json, loaded on first use. */
    default Tokenizer tokenizer() {
        return files().tokenizer();
    }

    /**
     * Bytes of the safetensors files mapped for this model (what the weights can add to the
     * process's resident memory as their pages are read); 0 when the caller owns the checkpoint.
     */
    default long mappedWeightBytes() {
        return 0;
    }

    /** True when the family takes images. */
    boolean takesImages();

    /**
     * Lays out the prompt as the family's processor does, runs the images through preprocessing,
     * the vision tower and the projector, and merges them into the token embeddings. Checks that
     * the prompt's image tokens match the images before any vision work. A trace receives the
     * vision intermediates under the goldens' names.
     */
    PreparedPrompt prepare(PromptInput input, Trace trace);

    /**
     * A new sequence caching as {@code settings} say, with the prompt prefilled: its
     * {@link TokenSequence#logits()} are the first generated token's distribution. A trace receives
     * the decoder's intermediates, {@code logits} and the positions.
     */
    TokenSequence prefill(PreparedPrompt prompt, KvCacheSettings settings, Trace trace);

    /**
     * Compiles the language model's kernels before a one-shot request needs them, on tiny inputs
     * cut from its own weights and a KV store made by {@code settings}
     * ({@code LlamaDecoder.warmUp}); changes no result. A server or a long session does without.
     *
     * @return whether it ran (a small model is not warmed up)
     */
    default boolean warmUp(KvCacheSettings settings) {
        return false;
    }

    /** {@link #prepare}, then {@link #prefill(PreparedPrompt, KvCacheSettings, Trace)}. */
    default TokenSequence prefill(PromptInput input, KvCacheSettings settings, Trace trace) {
        return prefill(prepare(input, trace), settings, trace);
    }

    /** The language model's decoder, shared by every sequence of this model (what a batch step runs). */
    LlamaDecoder decoder();

    /**
     * A new sequence caching as {@code settings} say, with the prompt queued but not run: a batch
     * scheduler feeds it in chunks through {@link LlamaDecoder#forwardBatch} together with other
     * sequences ({@link BatchedSequence#addTo}), with the math {@link #prefill} applies.
     */
    BatchedSequence queue(PreparedPrompt prompt, KvCacheSettings settings);

    /** Releases what {@link #load(Path, int)} opened; a model over a caller's checkpoint holds nothing to release. */
    @Override
    default void close() {}
}
