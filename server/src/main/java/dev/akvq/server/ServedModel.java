package dev.akvq.server;

import dev.akvq.image.ImageFormatException;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.idefics3.Idefics3Prompt;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.model.qwen2vl.Qwen2VLPrompt;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.server.GenerationRequest.ImagePart;
import dev.akvq.server.GenerationRequest.Message;
import dev.akvq.server.GenerationRequest.Part;
import dev.akvq.server.GenerationRequest.TextPart;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
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
            ChatLayout layout = switch (model.config()) {
                case LlavaConfig c -> new Llava(LlavaPrompt.load(dir, c, model.tokenizer()).imageToken());
                case Idefics3Config c -> new Idefics3();
                case Qwen2VLConfig c -> new Qwen2VL();
                case TextDecoderConfig c -> new Plain();
            };
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

    /** A family's built-in chat layout: messages to prompt text, images as the family's markers. */
    private sealed interface ChatLayout permits Plain, Llava, Idefics3, Qwen2VL {
        String format();

        String layout(List<Message> messages);
    }

    private static String text(Message m) {
        StringBuilder s = new StringBuilder();
        for (Part p : m.parts()) {
            if (p instanceof TextPart t) s.append(s.isEmpty() ? "" : "\n").append(t.text());
        }
        return s.toString();
    }

    private static String capitalized(String role) {
        return role.isEmpty() ? role : Character.toUpperCase(role.charAt(0)) + role.substring(1);
    }

    /** Llama, Mistral, Qwen2 without a template yet: one 'Role: text' line per message. */
    private record Plain() implements ChatLayout {
        @Override
        public String format() {
            return "plain: one line 'Role: text' per message, then 'Assistant:' (no chat template read yet)";
        }

        @Override
        public String layout(List<Message> messages) {
            StringBuilder s = new StringBuilder();
            for (Message m : messages) s.append(capitalized(m.role())).append(": ").append(text(m)).append('\n');
            return s.append("Assistant:").toString();
        }
    }

    /** LLaVA-1.5 as {@code akvq run} lays out a question, turn after turn, images numbered through the conversation. */
    private record Llava(String imageToken) implements ChatLayout {
        @Override
        public String format() {
            return "llava-1.5: [system text ]USER: Image 1: <image>\\n...{text} ASSISTANT: {answer} USER: ... ASSISTANT:";
        }

        @Override
        public String layout(List<Message> messages) {
            StringBuilder s = new StringBuilder();
            int image = 0;
            for (Message m : messages) {
                switch (m.role()) {
                    case "system" -> s.append(text(m)).append(' ');
                    case "assistant" -> s.append("ASSISTANT: ").append(text(m)).append(' ');
                    default -> {
                        s.append("USER: ");
                        for (Part p : m.parts()) {
                            if (p instanceof ImagePart) s.append("Image ").append(++image).append(": ").append(imageToken).append('\n');
                        }
                        s.append(text(m)).append(' ');
                    }
                }
            }
            return s.append("ASSISTANT:").toString();
        }
    }

    /** Idefics3 (SmolVLM): its chat template, parts in order. */
    private record Idefics3() implements ChatLayout {
        @Override
        public String format() {
            return "idefics3 chat template: <|im_start|>User:<image>{text}<end_of_utterance>\\nAssistant:"
                    + " (parts in order; 'Role: ' before a message that starts with text)";
        }

        @Override
        public String layout(List<Message> messages) {
            StringBuilder s = new StringBuilder("<|im_start|>");
            for (Message m : messages) {
                boolean imageFirst = !m.parts().isEmpty() && m.parts().get(0) instanceof ImagePart;
                s.append(capitalized(m.role())).append(imageFirst ? ":" : ": ");
                for (Part p : m.parts()) s.append(p instanceof TextPart t ? t.text() : Idefics3Prompt.IMAGE);
                s.append(Idefics3Prompt.END_OF_UTTERANCE).append('\n');
            }
            return s.append("Assistant:").toString();
        }
    }

    /** Qwen2-VL-Instruct's chat template ({@link Qwen2VLPrompt}), parts in order. */
    private record Qwen2VL() implements ChatLayout {
        @Override
        public String format() {
            return "qwen2-vl chat template: <|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n<|im_start|>user\\n"
                    + "<|vision_start|><|image_pad|><|vision_end|>{text}<|im_end|>\\n<|im_start|>assistant\\n (parts in order)";
        }

        @Override
        public String layout(List<Message> messages) {
            Qwen2VLPrompt p = new Qwen2VLPrompt();
            for (int i = 0; i < messages.size(); i++) {
                Message m = messages.get(i);
                switch (m.role()) {
                    case "system" -> {
                        if (i != 0) throw new IllegalArgumentException("messages[" + i + "]: a system message must come first");
                        p.system(text(m));
                    }
                    case "assistant" -> p.assistant(text(m));
                    default -> {
                        p.user();
                        for (Part part : m.parts()) {
                            if (part instanceof TextPart t) p.text(t.text());
                            else p.image();
                        }
                    }
                }
            }
            return p.build();
        }
    }
}
