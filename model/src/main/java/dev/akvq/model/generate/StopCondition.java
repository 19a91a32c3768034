package dev.akvq.model.generate;

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

    public boolean isEos(int token) {
        return eosTokenIds.contains(token);
    }
}
