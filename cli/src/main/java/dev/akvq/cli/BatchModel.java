package dev.akvq.cli;

import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What {@code akvq batch} needs of a model: its decoder (shared by every request), a request's
 * prompt prepared (laid out, tokenized, images through the tower and merged) and turned into a
 * sequence with the prompt queued, and the text of generated ids.
 */
final class BatchModel implements AutoCloseable {
    /** A prepared prompt: its length in tokens, and a new sequence with it queued, for a cache's settings. */
    interface Prepared {
        int tokens();

        BatchedSequence newSequence(KvCacheSettings kv);
    }

    private final Checkpoint checkpoint;
    private final WorkerPool pool;
    private final LlamaDecoder decoder;
    private final Optional<Tokenizer> tokenizer;
    private final Path dir;

    private BatchModel(Path dir, Checkpoint checkpoint, WorkerPool pool, LlamaDecoder decoder, Optional<Tokenizer> tokenizer) {
        this.dir = dir;
        this.checkpoint = checkpoint;
        this.pool = pool;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
    }

    static BatchModel load(Path dir, int threads) {
        ModelConfig config = ModelConfig.load(dir);
        if (!(config instanceof TextDecoderConfig text)) {
            throw new UsageException("batch supports the text decoders (llama, mistral, qwen2) in this build; " + dir + " is "
                    + config.modelType());
        }
        Optional<Tokenizer> tokenizer = Files.exists(dir.resolve("tokenizer.json")) ? Optional.of(Tokenizer.load(dir)) : Optional.empty();
        Checkpoint checkpoint = Checkpoint.open(dir);
        WorkerPool pool = WorkerPool.create(threads);
        return new BatchModel(dir, checkpoint, pool, LlamaDecoder.forCausalLm(checkpoint, text, pool), tokenizer);
    }

    LlamaDecoder decoder() {
        return decoder;
    }

    /** The text of generated ids, when the model directory has a tokenizer.json. */
    Optional<String> decode(int[] ids) {
        return tokenizer.map(t -> t.decode(ids, true));
    }

    /** The prompt as text (laid out as {@code run --prompt} does) or as ids already expanded, with its images. */
    Prepared prepare(Optional<String> prompt, Optional<int[]> promptIds, List<Path> images) {
        if (!images.isEmpty()) throw new IllegalArgumentException("\"images\": this model takes no images");
        if (prompt.isPresent() && tokenizer.isEmpty()) {
            throw new IllegalArgumentException("\"prompt\": " + dir.resolve("tokenizer.json") + " is missing; give \"prompt_ids\"");
        }
        int[] ids = promptIds.orElseGet(() -> tokenizer.get().encode(prompt.get(), true));
        if (ids.length == 0) throw new IllegalArgumentException("\"prompt\": encodes to no tokens");
        float[] embeds = decoder.embed(ids);
        Modality[] modality = new Modality[ids.length];
        Arrays.fill(modality, Modality.TEXT);
        return new Prepared() {
            @Override
            public int tokens() {
                return ids.length;
            }

            @Override
            public BatchedSequence newSequence(KvCacheSettings kv) {
                LlamaSequence s = new LlamaSequence(decoder, kv);
                s.queuePrompt(embeds, modality);
                return s;
            }
        };
    }

    @Override
    public void close() {
        pool.close();
        checkpoint.close();
    }
}
