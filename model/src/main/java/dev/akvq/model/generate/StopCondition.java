package dev.akvq.model.generate;

import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;
import java.util.Set;

/**
 * When generation ends: a token of {@code eosTokenIds} (generation_config.json's eos_token_id,
 * int or list; the EOS token is emitted, then generation stops, as generate() does) or
 * {@code maxNewTokens} tokens.
 */
public record StopCondition(Set<Integer> eosTokenIds, int maxNewTokens) {
    public StopCondition {
        eosTokenIds = Set.copyOf(eosTokenIds);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
    }

    public static StopCondition of(List<Integer> eosTokenIds, int maxNewTokens) {
        return new StopCondition(Set.copyOf(eosTokenIds), maxNewTokens);
    }

    /**
     * A model's stop: generation_config.json's eos_token_id when it names any, else config.json's
     * (as generate() falls back), after at most {@code maxNewTokens} tokens.
     */
    public static StopCondition of(GenerationConfig generation, TextDecoderConfig text, int maxNewTokens) {
        return of(generation.eosTokenIds().isEmpty() ? text.eosTokenIds() : generation.eosTokenIds(), maxNewTokens);
    }

    public boolean isEos(int token) {
        return eosTokenIds.contains(token);
    }
}
