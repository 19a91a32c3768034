package dev.akvq.cli;

import dev.akvq.model.generate.Greedy;
import dev.akvq.model.generate.TokenSequence;

/**
 * The greedy decode of one prefilled prompt, recorded as the goldens record generate(do_sample=False):
 * {@code decode_tokens [1, steps]} and {@code decode_logits [1, steps, vocab]}, where step 0's
 * logits are the prompt's last row and step t &gt; 0's come from feeding token t - 1 through the cache.
 */
final class GreedyTrace {
    private GreedyTrace() {}

    /** Nothing is written for 0 steps. */
    static void record(TokenSequence sequence, int steps, TraceFile trace) {
        if (steps == 0) return;
        float[] last = sequence.logits();
        int vocab = last.length;
        long[] tokens = new long[steps];
        float[] stepLogits = new float[steps * vocab];
        for (int s = 0; s < steps; s++) {
            System.arraycopy(last, 0, stepLogits, s * vocab, vocab);
            tokens[s] = Greedy.argmax(last);
            if (s + 1 < steps) last = sequence.step((int) tokens[s]);
        }
        trace.writer.i64("decode_tokens", tokens, 1, steps);
        trace.put("decode_logits", stepLogits, 1, steps, vocab);
    }
}
