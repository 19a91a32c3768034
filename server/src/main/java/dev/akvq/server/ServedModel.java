package dev.akvq.server;

import dev.akvq.image.ImageFormatException;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The model a server holds ({@link VisionLanguageModel}: weights mapped and towers built once), and
 * how a chat becomes its prompt. A chat is laid out in the family's built-in format (until the
 * chat-template module reads tokenizer_config.json's template), with the family's image marker
 * where each image goes, and handed to the family's own {@code prepare} as written: the same path
 * {@code akvq run --prompt} takes, so a greedy answer here is {@code run}'s. A prompt without images
 * goes in as token ids (the text encoded with BOS), so no family wraps it in its layout again.
 */
final class ServedModel implements AutoCloseable {
    private final VisionLanguageModel model;
    private final GenerationConfig generation;
    private final ChatLayout layout;

    private ServedModel(VisionLanguageModel model, GenerationConfig generation, ChatLayout layout) {
        this.model = model;
        this.generation = generation;
        this.layout = layout;
    }

    /** Opens {@code dir} (config.json, tokenizer.json, weights, preprocessor) through {@link VisionLanguageModel#load}. */
    static ServedModel load(Path dir, int threads) {
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir.resolve("tokenizer.json") + ": no such file; the server needs the model's tokenizer");
        }
        VisionLanguageModel model = VisionLanguageModel.load(dir, threads);
        try {
            GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
            ChatLayout layout = ChatLayout.of(model);
            return new ServedModel(model, generation, layout);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The model's name in responses: its directory's name. */
    String id() {
        return model.directory().toAbsolutePath().normalize().getFileName().toString();
    }

    String modelType() {
        return model.config().modelType();
    }

    boolean takesImages() {
        return model.takesImages();
    }

    /** How a chat is laid out, in words, for {@code /v1/models}. */
    String promptFormat() {
        return layout.format();
    }

    int contextLength() {
        return model.config().textConfig().maxPositionEmbeddings();
    }

    dev.akvq.tokenizer.Tokenizer tokenizer() {
        return model.tokenizer();
    }

    GenerationConfig generation() {
        return generation;
    }

    /** generation_config.json's eos_token_id, else config.json's. */
    List<Integer> eosTokenIds() {
        return generation.eosTokenIds().isEmpty() ? model.config().textConfig().eosTokenIds() : generation.eosTokenIds();
    }

    /** Layers, KV heads and head size of the language model, for the cache projection. */
    TextDecoderConfig textConfig() {
        return model.config().textConfig();
    }

    /**
     * Lays out and encodes the request, preprocesses its images and runs the vision tower (the
     * family's {@code prepare}); what a client got wrong (a bad image, markers that do not match
     * the images) is a 400 naming the request part.
     */
    PreparedPrompt prepare(GenerationRequest request) {
        if (!request.images().isEmpty() && !takesImages()) {
            throw ApiError.invalid("messages", "model " + id() + " (" + modelType() + ") takes no images");
        }
        String param = request.prompt() instanceof GenerationRequest.Chat ? "messages" : "prompt";
        try {
            String text = switch (request.prompt()) {
                case GenerationRequest.Chat chat -> layout.layout(chat.messages());
                case GenerationRequest.Text plain -> plain.text();
            };
            PromptInput input = request.images().isEmpty() ? PromptInput.ids(model.tokenizer().encode(text, true))
                    : PromptInput.text(text).withImages(request.images());
            return model.prepare(input, Trace.NONE);
        } catch (ImageFormatException e) {
            throw ApiError.invalid(param, "image: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, e.getMessage());
        }
    }

    /** A new sequence with {@code prompt} prefilled; the caller closes it, which releases its cache. */
    TokenSequence prefill(PreparedPrompt prompt, KvCacheSettings settings) {
        return model.prefill(prompt, settings, Trace.NONE);
    }

    @Override
    public void close() {
        model.close();
    }
}
