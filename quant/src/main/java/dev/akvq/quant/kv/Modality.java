package dev.akvq.quant.kv;

/**
 * What a cached position holds. A position is {@link #VISION} when the prompt builder placed an
 * image feature there; every other position, and every generated token, is {@link #TEXT}
 * (docs/akvq-vl.md, "Precision table").
 */
public enum Modality { TEXT, VISION }
