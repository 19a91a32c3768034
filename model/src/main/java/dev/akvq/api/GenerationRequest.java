package dev.akvq.api;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * What to generate: a prompt (laid out by the model's family, e.g. LLaVA's {@code USER: <image>\n...
 * ASSISTANT:}, or taken as written when it already holds the family's image markers), its image
 * files, sampling and the KV cache. Unset values take the model's generation_config.json
 * (max_new_tokens, do_sample, temperature, top_k, top_p; greedy when it does not sample) and an
 * FP32 cache. Immutable: each {@code with...} returns a new request.
 *
 * <pre>
 * GenerationRequest.of("What color is the triangle?").withImages(List.of(png)).withKvMode("akvq").withMaxNewTokens(32)
 * </pre>
 */
public record GenerationRequest(String prompt, List<Path> images, OptionalInt maxNewTokens, OptionalDouble temperature,
                                OptionalInt topK, OptionalDouble topP, long seed, Optional<String> kvMode,
                                Optional<KvCacheSettings> kvCache) {

    public GenerationRequest {
        if (prompt == null) throw new IllegalArgumentException("GenerationRequest: prompt is null");
        images = List.copyOf(images);
        if (maxNewTokens.isPresent() && maxNewTokens.getAsInt() < 1) {
            throw new IllegalArgumentException("GenerationRequest: maxNewTokens must be >= 1, got " + maxNewTokens.getAsInt());
        }
        kvMode.ifPresent(KvMode::parse);   // an unknown mode is named now, not at generate()
    }

    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, List.of(), OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty(),
                OptionalDouble.empty(), 0L, Optional.empty(), Optional.empty());
    }

    /** Image files (PNG, JPEG), in prompt order. */
    public GenerationRequest withImages(List<Path> files) {
        return new GenerationRequest(prompt, files, maxNewTokens, temperature, topK, topP, seed, kvMode, kvCache);
    }

    public GenerationRequest withMaxNewTokens(int n) {
        return new GenerationRequest(prompt, images, OptionalInt.of(n), temperature, topK, topP, seed, kvMode, kvCache);
    }

    /** 0 is greedy; above 0 samples with the given top-k (0 keeps all) and top-p (1 keeps all) and seed. */
    public GenerationRequest withSampling(double temperature, int topK, double topP, long seed) {
        return new GenerationRequest(prompt, images, maxNewTokens, OptionalDouble.of(temperature), OptionalInt.of(topK),
                OptionalDouble.of(topP), seed, kvMode, kvCache);
    }

    /** A cache mode with its defaults: fp32, fp16, rtn2, kivi2 or akvq (akvq reads the model's akvq-layers.json). */
    public GenerationRequest withKvMode(String mode) {
        return new GenerationRequest(prompt, images, maxNewTokens, temperature, topK, topP, seed, Optional.of(mode), Optional.empty());
    }

    /** Every cache setting given (docs/akvq-vl.md, "Settings"). */
    public GenerationRequest withKvCache(KvCacheSettings settings) {
        return new GenerationRequest(prompt, images, maxNewTokens, temperature, topK, topP, seed, Optional.empty(), Optional.of(settings));
    }
}
