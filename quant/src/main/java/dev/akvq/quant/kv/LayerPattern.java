package dev.akvq.quant.kv;

/**
 * A layer's attention pattern (docs/akvq-vl.md, "Precision table"): {@link #TSA} text-salient layers keep text
 * tokens at INT4 and vision tokens at INT2; {@link #PSA} pivot-token-salient layers keep their
 * pivot tokens at FP16 and every other token at INT2.
 */
public enum LayerPattern { TSA, PSA }
