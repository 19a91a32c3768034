package dev.akvq.server;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.Idefics3ImageProcessor;
import dev.akvq.image.ImageFormatException;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.image.Qwen2VLImageProcessor;
import dev.akvq.model.Trace;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.idefics3.Idefics3Model;
import dev.akvq.model.idefics3.Idefics3Prompt;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.model.qwen2vl.ImageGrid;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.model.qwen2vl.Qwen2VLPrompt;
import dev.akvq.model.qwen2vl.Qwen2VLSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.Modality;
import dev.akvq.server.GenerationRequest.ImagePart;
import dev.akvq.server.GenerationRequest.Message;
import dev.akvq.server.GenerationRequest.Part;
import dev.akvq.server.GenerationRequest.TextPart;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The model a server holds: weights mapped and towers built once, then any number of requests,
 * each laid out in the family's prompt format, preprocessed and prefilled into a fresh sequence.
 * Per family, the same steps {@code akvq run} takes, so a greedy answer here is {@code run}'s.
 *
 * <p>Prompt formats (until the chat-template module reads tokenizer_config.json's template):
 * LLaVA-1.5's {@code USER: Image 1: <image>\n... ASSISTANT:} as {@code akvq run} writes it,
 * Idefics3's chat template, Qwen2-VL-Instruct's chat template ({@link Qwen2VLPrompt}), and for the
 * text families a plain {@code User: ...\nAssistant:}; {@link #promptFormat} says which.
 */
final class ServedModel implements AutoCloseable {
    /** A prompt, encoded and preprocessed, ready to prefill: the cheap checks are done. */
    interface Prepared {
        int promptTokens();

        /** Runs towers, merge and prefill into a new sequence; returns it with the last position's logits. */
        Prefilled prefill(KvCacheSettings settings);
    }

    record Prefilled(TokenSequence sequence, float[] logits) {}

    private final Path dir;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final GenerationConfig generation;
    private final Checkpoint checkpoint;
    private final WorkerPool pool;
    private final Family family;

    private ServedModel(Path dir, ModelConfig config, Tokenizer tokenizer, GenerationConfig generation, Checkpoint checkpoint,
                        WorkerPool pool, Family family) {
        this.dir = dir;
        this.config = config;
        this.tokenizer = tokenizer;
        this.generation = generation;
        this.checkpoint = checkpoint;
        this.pool = pool;
        this.family = family;
    }

    /** Opens {@code dir} (config.json, tokenizer.json, weights, preprocessor) and builds the family's model. */
    static ServedModel load(Path dir, int threads) {
        ModelConfig config = ModelConfig.load(dir);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir.resolve("tokenizer.json") + ": no such file; the server needs the model's tokenizer");
        }
        Tokenizer tokenizer = Tokenizer.load(dir);
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
        Checkpoint checkpoint = Checkpoint.open(dir);
        WorkerPool pool = WorkerPool.create(threads);
        try {
            Family family = switch (config) {
                case LlavaConfig c -> new Llava(LlavaModel.load(checkpoint, c, pool), LlavaPrompt.load(dir, c, tokenizer),
                        ImageProcessor.load(dir));
                case Idefics3Config c -> new Idefics3(Idefics3Model.load(checkpoint, c, pool), tokenizer, processor(dir,
                        Idefics3ImageProcessor.class, Idefics3ImageProcessor.TYPE));
                case Qwen2VLConfig c -> new Qwen2VL(Qwen2VLModel.load(checkpoint, c, pool), tokenizer, processor(dir,
                        Qwen2VLImageProcessor.class, Qwen2VLImageProcessor.TYPE));
                case TextDecoderConfig c -> new Text(LlamaDecoder.forCausalLm(checkpoint, c, pool), tokenizer);
            };
            return new ServedModel(dir, config, tokenizer, generation, checkpoint, pool, family);
        } catch (RuntimeException e) {
            pool.close();
            checkpoint.close();
            throw e;
        }
    }

    private static <P extends ImageProcessor> P processor(Path dir, Class<P> type, String name) {
        ImageProcessor p = ImageProcessor.load(dir);
        if (!type.isInstance(p)) {
            throw new IllegalArgumentException(dir.resolve(ImageProcessor.CONFIG_FILE) + ": image_processor_type is " + p.type()
                    + "; this family needs " + name);
        }
        return type.cast(p);
    }

    /** The model's name in responses: its directory's name. */
    String id() {
        return dir.toAbsolutePath().normalize().getFileName().toString();
    }

    String modelType() {
        return config.modelType();
    }

    boolean takesImages() {
        return !(family instanceof Text);
    }

    /** How a chat is laid out, in words, for {@code /v1/models}. */
    String promptFormat() {
        return family.promptFormat();
    }

    int contextLength() {
        return config.textConfig().maxPositionEmbeddings();
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    GenerationConfig generation() {
        return generation;
    }

    /** generation_config.json's eos_token_id, else config.json's. */
    List<Integer> eosTokenIds() {
        return generation.eosTokenIds().isEmpty() ? config.textConfig().eosTokenIds() : generation.eosTokenIds();
    }

    /** KV heads, head size and layers of the language model, for the cache projection. */
    TextDecoderConfig textConfig() {
        return config.textConfig();
    }

    /**
     * Lays out and encodes the request, preprocesses its images and checks that they match.
     * Errors a client caused (bad image, marker counts) are 400s naming the request part.
     */
    Prepared prepare(GenerationRequest request) {
        if (!request.images().isEmpty() && !takesImages()) {
            throw ApiError.invalid("messages", "model " + id() + " (" + modelType() + ") takes no images");
        }
        try {
            String text = switch (request.prompt()) {
                case GenerationRequest.Chat chat -> family.layout(chat.messages());
                case GenerationRequest.Text plain -> plain.text();
            };
            return family.prepare(text, request.images());
        } catch (ImageFormatException e) {
            throw ApiError.invalid("messages", "image: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(request.prompt() instanceof GenerationRequest.Chat ? "messages" : "prompt", e.getMessage());
        }
    }

    @Override
    public void close() {
        pool.close();
        checkpoint.close();
    }

    /** One family's prompt layout and request path. */
    private sealed interface Family permits Text, Llava, Idefics3, Qwen2VL {
        String promptFormat();

        String layout(List<Message> messages);

        Prepared prepare(String text, List<DecodedImage> images);
    }

    private static String text(Message m) {
        StringBuilder s = new StringBuilder();
        for (Part p : m.parts()) {
            if (p instanceof TextPart t) s.append(s.isEmpty() ? "" : "\n").append(t.text());
        }
        return s.toString();
    }

    private static int imageCount(Message m) {
        return (int) m.parts().stream().filter(p -> p instanceof ImagePart).count();
    }

    private static String capitalized(String role) {
        return role.isEmpty() ? role : Character.toUpperCase(role.charAt(0)) + role.substring(1);
    }

    /** Llama, Mistral, Qwen2: text in, no images. */
    private record Text(LlamaDecoder decoder, Tokenizer tokenizer) implements Family {
        @Override
        public String promptFormat() {
            return "plain: one line 'Role: text' per message, then 'Assistant:' (no chat template read yet)";
        }

        @Override
        public String layout(List<Message> messages) {
            StringBuilder s = new StringBuilder();
            for (Message m : messages) s.append(capitalized(m.role())).append(": ").append(text(m)).append('\n');
            return s.append("Assistant:").toString();
        }

        @Override
        public Prepared prepare(String text, List<DecodedImage> images) {
            int[] ids = tokenizer.encode(text, true);
            return prepared(ids.length, settings -> {
                LlamaSequence sequence = new LlamaSequence(decoder, settings);
                Modality[] modality = new Modality[ids.length];
                Arrays.fill(modality, Modality.TEXT);
                float[] normed = sequence.prefill(decoder.embed(ids), modality, Trace.NONE);
                return new Prefilled(sequence, sequence.lastLogits(normed, ids.length));
            });
        }
    }

    /** LLaVA-1.5: {@code akvq run}'s layout, LlavaProcessor's expansion, CLIP + projector + merge. */
    private record Llava(LlavaModel model, LlavaPrompt prompt, ImageProcessor processor) implements Family {
        @Override
        public String promptFormat() {
            return "llava-1.5: [system text ]USER: Image 1: <image>\\n...{text} ASSISTANT: {answer} USER: ... ASSISTANT:"
                    + " (images numbered through the conversation)";
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
                        for (int i = 0; i < imageCount(m); i++) s.append("Image ").append(++image).append(": ").append(prompt.imageToken()).append('\n');
                        s.append(text(m)).append(' ');
                    }
                }
            }
            return s.append("ASSISTANT:").toString();
        }

        @Override
        public Prepared prepare(String text, List<DecodedImage> images) {
            int[] ids = prompt.encode(text, images.size());
            model.checkImageTokens(ids, images.size());
            float[] pixels = new float[0];
            if (!images.isEmpty()) {
                ProcessedImages processed = processor.process(images);
                var v = model.config().visionConfig();
                long[] expected = {images.size(), v.numChannels(), v.imageSize(), v.imageSize()};
                if (!Arrays.equals(expected, processed.pixelValuesShape())) {
                    throw new IllegalArgumentException("the preprocessor gives pixel_values " + Arrays.toString(processed.pixelValuesShape())
                            + ", the vision tower takes " + Arrays.toString(expected));
                }
                pixels = processed.pixelValues();
            }
            float[] pixelValues = pixels;
            return prepared(ids.length, settings -> {
                LlavaModel.Prefilled p = model.prefill(ids, pixelValues, images.size(), settings, Trace.NONE);
                return new Prefilled(p.sequence(), p.lastLogits());
            });
        }
    }

    /** Idefics3 / SmolVLM: its chat template, image splitting, the tower, pixel shuffle and merge. */
    private record Idefics3(Idefics3Model model, Tokenizer tokenizer, Idefics3ImageProcessor processor) implements Family {
        @Override
        public String promptFormat() {
            return "idefics3 chat template: <|im_start|>User:<image>{text}<end_of_utterance>\\nAssistant:"
                    + " (parts in order; 'Role: ' before text-first messages)";
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

        @Override
        public Prepared prepare(String text, List<DecodedImage> images) {
            List<Idefics3Prompt.Tiling> tilings = new ArrayList<>();
            ProcessedImages processed = images.isEmpty() ? null : processor.process(images);
            if (processed != null) {
                long[] rowsCols = processed.extra("rows_cols").values();
                for (int i = 0; i < rowsCols.length; i += 2) tilings.add(new Idefics3Prompt.Tiling((int) rowsCols[i], (int) rowsCols[i + 1]));
            }
            int[] ids = Idefics3Prompt.encode(tokenizer, text, tilings, model.config().imageSeqLength(), true);
            return prepared(ids.length, settings -> {
                float[] imageEmbeddings = new float[0];
                if (processed != null) {
                    long[] mask = processed.extras().stream().anyMatch(e -> e.name().equals("pixel_attention_mask"))
                            ? processed.extra("pixel_attention_mask").values() : null;
                    imageEmbeddings = model.imageEmbeddings(processed.pixelValues(), processed.pixelValuesShape(), mask, Trace.NONE);
                }
                Idefics3Model.PromptEmbeddings embeddings = model.merge(ids, imageEmbeddings);
                LlamaSequence sequence = new LlamaSequence(model.decoder(), settings);
                float[] normed = sequence.prefill(embeddings.embeds(), embeddings.modality(), Trace.NONE);
                return new Prefilled(sequence, sequence.lastLogits(normed, ids.length));
            });
        }
    }

    /** Qwen2-VL: its chat template, dynamic-resolution patches, the tower, merger and M-RoPE prefill. */
    private record Qwen2VL(Qwen2VLModel model, Tokenizer tokenizer, Qwen2VLImageProcessor processor) implements Family {
        @Override
        public String promptFormat() {
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

        @Override
        public Prepared prepare(String text, List<DecodedImage> images) {
            int merge = model.config().visionConfig().spatialMergeSize();
            if (processor.mergeSize() != merge) {
                throw new IllegalStateException("preprocessor merge_size " + processor.mergeSize() + " differs from the model's "
                        + merge);
            }
            float[] pixelValues = new float[0];
            List<ImageGrid> grids = List.of();
            if (!images.isEmpty()) {
                ProcessedImages processed = processor.process(images);
                grids = ImageGrid.fromThw(processed.extra("image_grid_thw").values());
                pixelValues = processed.pixelValues();
                ImageGrid.checkAgainst(grids, Math.toIntExact(processed.pixelValuesShape()[0]), merge);
            }
            int[] ids = Qwen2VLPrompt.encode(tokenizer, text, grids, List.of(), merge);
            float[] pixels = pixelValues;
            List<ImageGrid> g = grids;
            return prepared(ids.length, settings -> {
                Qwen2VLModel.Prompt prompt = model.prepare(ids, pixels, g, Trace.NONE);
                Qwen2VLSequence sequence = model.newSequence(settings);
                float[] normed = sequence.prefill(prompt.embeds(), prompt.positions(), prompt.modality(), Trace.NONE);
                return new Prefilled(sequence, sequence.lastLogits(normed, ids.length));
            });
        }
    }

    private static Prepared prepared(int promptTokens, java.util.function.Function<KvCacheSettings, Prefilled> prefill) {
        return new Prepared() {
            @Override
            public int promptTokens() {
                return promptTokens;
            }

            @Override
            public Prefilled prefill(KvCacheSettings settings) {
                return prefill.apply(settings);
            }
        };
    }
}
