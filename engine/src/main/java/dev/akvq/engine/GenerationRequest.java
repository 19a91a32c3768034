package dev.akvq.engine;

import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.llama.BatchedSequence;
import dev.akvq.quant.kv.KvCacheSettings;

/**
 * One request for a {@link BatchScheduler}: a prompt of a known length that becomes a sequence
 * when admitted, how to pick tokens and when to stop, and its KV-cache settings.
 *
 * @param id           the caller's name for it (echoed in results and errors)
 * @param promptTokens the prompt's length in tokens, image tokens included: admission projects
 *                     {@code promptTokens + stop.maxNewTokens()} tokens at {@code kv}'s bytes
 * @param prompt       builds the sequence with its prompt queued (vision tower, projector, merge:
 *                     the family's work), called on the scheduler's thread when the request is
 *                     admitted, and again if it is preempted and recomputed; the sequence's cache
 *                     must be built with {@code kv}
 * @param sampler      greedy or seeded sampling; it keeps its own random state across preemption
 * @param stop         EOS ids and max_new_tokens
 */
public record GenerationRequest(String id, int promptTokens, KvCacheSettings kv, PromptFactory prompt, Sampler sampler,
                                StopCondition stop) {
    public GenerationRequest {
        if (id == null || prompt == null || sampler == null || stop == null || kv == null) {
            throw new IllegalArgumentException("GenerationRequest: id, kv, prompt, sampler and stop are required");
        }
        if (promptTokens < 1) throw new IllegalArgumentException("request " + id + ": the prompt must hold >= 1 token, got " + promptTokens);
    }

    /** Builds a request's sequence with its prompt queued ({@code LlamaSequence.queuePrompt}, ...). */
    @FunctionalInterface
    public interface PromptFactory {
        BatchedSequence newSequence();
    }
}
