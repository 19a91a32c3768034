package dev.akvq.weights.config;

/**
 * Sliding-window attention as a config declares it: each query sees at most {@code size} keys
 * back, in layers {@code firstLayer} and up. Mistral applies it to every layer; Qwen2 and
 * Qwen2-VL only when {@code use_sliding_window} is true, and then from {@code max_window_layers}
 * up (modeling_qwen2.py at transformers 241c04d3, Qwen2FlashAttention2.forward).
 */
public record SlidingWindow(int size, int firstLayer) {
    public SlidingWindow {
        Check.positive("sliding_window", size);
        if (firstLayer < 0) throw new ConfigFieldException("max_window_layers", "must be >= 0, found " + firstLayer);
    }
}
