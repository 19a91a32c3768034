package dev.akvq.model.generate;

/** Greedy decoding's choice: the highest logit, the first one on ties (as torch.argmax). */
public final class Greedy {
    private Greedy() {}

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }
}
