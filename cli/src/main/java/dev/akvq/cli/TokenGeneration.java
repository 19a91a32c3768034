package dev.akvq.cli;

import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.tokenizer.StreamingDecoder;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The generation loop shared by {@code run} and {@code run --chat}: sample from the sequence's
 * logits, stream the token (as text when a decoder is given, else as its id), stop at an EOS id,
 * the token limit or Ctrl-C. The last sampled token is not fed back into the cache.
 */
final class TokenGeneration {
    private TokenGeneration() {}

    /** The sampled ids, the stopping one included. */
    static int[] generate(TokenSequence sequence, Sampler sampler, StopCondition stop, StreamingDecoder text, PrintStream out,
            AtomicBoolean interrupted) {
        float[] logits = sequence.logits();
        int[] generated = new int[Math.min(stop.maxNewTokens(), 1 << 16)];
        int n = 0;
        while (true) {
            int token = sampler.next(logits);
            if (text != null) out.print(text.push(token)); // "" until a character split across tokens is whole
            else out.print((n == 0 ? "" : " ") + token);
            out.flush();
            if (n == generated.length) generated = java.util.Arrays.copyOf(generated, n * 2);
            generated[n++] = token;
            if (stop.isEos(token) || n >= stop.maxNewTokens() || interrupted.get()) break;
            logits = sequence.step(token);
        }
        if (text != null) out.print(text.finish());
        return java.util.Arrays.copyOf(generated, n);
    }
}
