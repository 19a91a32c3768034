package dev.akvq.model.generate;

import dev.akvq.tensor.NonFiniteScan;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The generation loop every caller shares ({@code akvq run}, the library API): from a prefilled
 * sequence's logits, pick a token, hand it on, stop at EOS (the EOS token is handed on too, as
 * generate() emits it), at the token limit or when cancelled, else feed it back and repeat.
 * Logits holding NaN or infinity end it with a {@link NonFiniteLogitsException} before a token
 * is picked from them.
 */
public final class Decoding {
    private Decoding() {}

    /** Why generation ended. */
    public enum Stop { EOS, MAX_NEW_TOKENS, CANCELLED }

    /** The generated ids in order and why it stopped. */
    public record Result(int[] tokens, Stop stop) {}

    /**
     * @param onToken   receives each token as soon as it is picked, before the next step runs
     * @param cancelled checked after each token; true ends generation after that token
     */
    public static Result run(TokenSequence sequence, Sampler sampler, StopCondition stop, IntConsumer onToken,
                             BooleanSupplier cancelled) {
        int[] tokens = new int[Math.min(stop.maxNewTokens(), 64)];
        int generated = 0;
        float[] logits = sequence.logits();
        while (true) {
            // one pass over the vocabulary: NaN or infinite logits would otherwise be sampled into garbage
            int bad = NonFiniteScan.firstIndex(logits, 0, logits.length);
            if (bad >= 0) throw new NonFiniteLogitsException(generated, bad, logits[bad]);
            int token = sampler.next(logits);
            if (generated == tokens.length) tokens = Arrays.copyOf(tokens, 2 * generated);
            tokens[generated++] = token;
            onToken.accept(token);
            Stop reason = stop.isEos(token) ? Stop.EOS : generated >= stop.maxNewTokens() ? Stop.MAX_NEW_TOKENS
                    : cancelled.getAsBoolean() ? Stop.CANCELLED : null;
            if (reason != null) return new Result(Arrays.copyOf(tokens, generated), reason);
            try {
                logits = sequence.step(token);
            } catch (CancellationException e) {   // a stop request reached the step's layer loop (StopRequest)
                return new Result(Arrays.copyOf(tokens, generated), Stop.CANCELLED);
            }
        }
    }
}
