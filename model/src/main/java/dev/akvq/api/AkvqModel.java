package dev.akvq.api;

import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.Decoding;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.StreamingDecoder;
import dev.akvq.weights.config.GenerationConfig;
import java.nio.file.Path;

/**
 * akvq as a library: a Hugging Face model directory in (LLaVA-1.5, Idefics3/SmolVLM, Qwen2-VL, or
 * a text Llama, Mistral, Qwen2), generated text out, streamed as it is produced, with the KV cache
 * in any mode (docs/akvq-vl.md). This package ({@code dev.akvq.api}) is the whole promised API;
 * everything else may change.
 *
 * <pre>
 * try (AkvqModel model = AkvqModel.load(Path.of("llava-1.5-7b-hf"))) {
 *     Generation g = model.generate(GenerationRequest.of("What is in the picture?")
 *             .withImages(List.of(Path.of("photo.jpg"))).withKvMode("akvq"),
 *             (id, text) -> System.out.print(text));
 *     System.out.printf("%n%d tokens, %.1f tok/s, KV cache %d bytes%n", g.tokenIds().length, g.tokensPerSecond(), g.kvCacheBytes());
 * }
 * </pre>
 *
 * One generation runs at a time per model (calls wait for each other); the model's worker threads
 * serve it. Errors are {@link IllegalArgumentException}s naming the file, tensor, field or request
 * part that is wrong.
 */
public final class AkvqModel implements AutoCloseable {
    private static final int DEFAULT_MAX_NEW_TOKENS = 128;

    private final VisionLanguageModel model;
    private final GenerationConfig generation;

    private AkvqModel(VisionLanguageModel model) {
        this.model = model;
        this.generation = GenerationConfig.find(model.directory()).orElse(GenerationConfig.DEFAULTS);
    }

    /** Loads the model in {@code dir} (weights memory-mapped) with a worker thread per core. */
    public static AkvqModel load(Path dir) {
        return load(dir, WorkerPool.defaultThreads());
    }

    public static AkvqModel load(Path dir, int threads) {
        return new AkvqModel(VisionLanguageModel.load(dir, threads));
    }

    /** config.json's model_type: llama, mistral, qwen2, llava, idefics3 or qwen2_vl. */
    public String modelType() {
        return model.config().modelType();
    }

    /** Whether requests may carry images. */
    public boolean takesImages() {
        return model.takesImages();
    }

    /** Generates without streaming. */
    public Generation generate(GenerationRequest request) {
        return generate(request, (id, text) -> {});
    }

    /** Generates, handing each token and its text to {@code listener} as soon as it is picked. */
    public synchronized Generation generate(GenerationRequest request, GenerationListener listener) {
        if (!request.images().isEmpty() && !model.takesImages()) {
            throw new IllegalArgumentException("images: " + model.directory() + " is a text model (" + modelType() + ")");
        }
        long start = System.nanoTime();
        int maxNew = request.maxNewTokens().orElse(generation.maxNewTokens().orElse(DEFAULT_MAX_NEW_TOKENS));
        StopCondition stop = StopCondition.of(generation, model.config().textConfig(), maxNew);
        Sampler sampler = sampler(request);
        PromptInput input = PromptInput.text(request.prompt()).withImageFiles(request.images());
        StreamingDecoder text = model.tokenizer().streamingDecoder(true);
        StringBuilder all = new StringBuilder();
        try (TokenSequence sequence = model.prefill(input, kvCache(request), Trace.NONE)) {
            long decodeStart = System.nanoTime();
            Decoding.Result result = Decoding.run(sequence, sampler, stop, token -> {
                String piece = text.push(token);
                all.append(piece);
                listener.onToken(token, piece);
            }, listener::cancelled);
            String held = text.finish();
            all.append(held);
            listener.onFinish(held);
            long end = System.nanoTime();
            String reason = switch (result.stop()) {
                case EOS -> "eos";
                case MAX_NEW_TOKENS -> "length";
                case CANCELLED -> "cancelled";
            };
            return new Generation(all.toString(), result.tokens(), reason, sequence.promptTokens(), (decodeStart - start) / 1e9,
                    (end - decodeStart) / 1e9, sequence.kvBytes(), sequence.kvFootprint().bitsPerValue());
        }
    }

    private Sampler sampler(GenerationRequest r) {
        double temperature = r.temperature().orElse(generation.doSample() ? generation.temperature() : 0.0);
        if (temperature == 0) return Sampler.greedy();
        return Sampler.sampling(temperature, r.topK().orElse(generation.topK()), r.topP().orElse(generation.topP()), r.seed());
    }

    private KvCacheSettings kvCache(GenerationRequest r) {
        if (r.kvCache().isPresent()) return r.kvCache().get();
        return KvCacheSettings.defaults(KvMode.parse(r.kvMode().orElse("fp32")), model.directory());
    }

    /** Releases the mapped weights and the worker threads. */
    @Override
    public void close() {
        model.close();
    }
}
