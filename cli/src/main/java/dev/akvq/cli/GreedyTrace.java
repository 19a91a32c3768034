package dev.akvq.cli;

import dev.akvq.model.Trace;
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
        record(sequence, steps, trace, trace);
    }

    /** As above, handing the logits to {@code trace} and writing the tokens to {@code file}. */
    static void record(TokenSequence sequence, int steps, Trace trace, TraceFile file) {
        if (steps == 0) return;
        float[] last = sequence.logits();
        int vocab = last.length;
        requireArray("decode_logits", (long) steps * vocab);
        long[] tokens = new long[steps];
        float[] stepLogits = new float[steps * vocab];
        for (int s = 0; s < steps; s++) {
            System.arraycopy(last, 0, stepLogits, s * vocab, vocab);
            tokens[s] = Greedy.argmax(last);
            if (s + 1 < steps) last = sequence.step((int) tokens[s]);
        }
        file.writer.i64("decode_tokens", tokens, 1, steps);
        trace.put("decode_logits", stepLogits, 1, steps, vocab);
    }

    /** A tensor of {@code elements} floats must fit in one Java array; checked before it is allocated. */
    static void requireArray(String name, long elements) {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + " would hold " + elements + " values, more than one Java array holds ("
                    + (Integer.MAX_VALUE - 8) + "); trace fewer --decode steps or a shorter batch");
        }
    }
}
