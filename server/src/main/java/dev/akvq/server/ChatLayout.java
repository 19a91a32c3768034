package dev.akvq.server;

import dev.akvq.image.DecodedImage;
import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.idefics3.Idefics3Prompt;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.model.qwen2vl.Qwen2VLPrompt;
import dev.akvq.server.GenerationRequest.ImagePart;
import dev.akvq.server.GenerationRequest.Message;
import dev.akvq.server.GenerationRequest.Part;
import dev.akvq.server.GenerationRequest.TextPart;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import dev.akvq.template.ChatTemplate;
import dev.akvq.weights.config.TextDecoderConfig;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a chat becomes prompt text: the model's own chat template when it has one
 * ({@link Template}: chat_template.jinja, chat_template.json or tokenizer_config.json, rendered as
 * transformers' apply_chat_template does), else the family's built-in layout, each image as the
 * family's marker where its part stands, text parts of one message joined by newlines.
 * {@link #format} is what {@code /v1/models} says.
 */
sealed interface ChatLayout permits ChatLayout.Template, ChatLayout.Plain, ChatLayout.Llava, ChatLayout.Idefics3, ChatLayout.Qwen2VL {
    String format();

    String layout(List<Message> messages);

    /**
     * What the family prefills for the laid-out {@code text} with the request's images: with images,
     * the text as written (the family expands its markers); without, its ids with the tokenizer's
     * special tokens, so no family lays it out again.
     */
    default PromptInput input(VisionLanguageModel model, String text, List<DecodedImage> images) {
        return images.isEmpty() ? PromptInput.ids(model.tokenizer().encode(text, true)) : PromptInput.text(text).withImages(images);
    }

    /** The model's chat template if it has one, else its family's built-in layout. */
    static ChatLayout of(VisionLanguageModel model) {
        Optional<ChatTemplate> template = ChatTemplate.find(model.directory(), LocalDateTime::now);
        if (template.isPresent()) return new Template(template.get(), model.takesImages());
        return switch (model.config()) {
            case LlavaConfig c -> new Llava(LlavaPrompt.load(model.directory(), c, model.tokenizer()).imageToken());
            case Idefics3Config c -> new Idefics3();
            case Qwen2VLConfig c -> new Qwen2VL();
            case TextDecoderConfig c -> new Plain();
        };
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

    /**
     * The model's chat template. Messages go in as transformers' multimodal chats have them: for a
     * vision family a list of parts ({@code {"type": "image"}}, {@code {"type": "text", "text": ...}}
     * in order), for a text decoder a string. The prompt is encoded as
     * {@code apply_chat_template(..., tokenize=True)} does for text decoders (no special tokens
     * added); a vision family gets the text with its image markers and adds its processor's special
     * tokens, less a BOS the template already wrote.
     */
    record Template(ChatTemplate template, boolean vision) implements ChatLayout {
        @Override
        public String format() {
            return "the model's chat template (" + template.origin() + ")";
        }

        @Override
        public String layout(List<Message> messages) {
            List<Object> chat = new ArrayList<>();
            for (Message m : messages) {
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("role", m.role());
                if (!vision) {
                    message.put("content", text(m));
                } else {
                    List<Object> parts = new ArrayList<>();
                    for (Part p : m.parts()) {
                        parts.add(p instanceof TextPart t ? Map.of("type", "text", "text", t.text()) : Map.of("type", "image"));
                    }
                    message.put("content", parts);
                }
                chat.add(message);
            }
            try {
                return template.render(chat, true, Map.of());
            } catch (RuntimeException e) {   // raise_exception and template errors: the conversation does not fit the template
                throw new IllegalArgumentException("the model's chat template refused the messages: " + e.getMessage(), e);
            }
        }

        @Override
        public PromptInput input(VisionLanguageModel model, String text, List<DecodedImage> images) {
            var tokenizer = model.tokenizer();
            if (!vision) return PromptInput.ids(tokenizer.encode(text, false));
            boolean writesBos = template.specialTokens().get("bos_token") instanceof String bos && text.startsWith(bos);
            String written = writesBos && tokenizer.encode("", true).length > 0
                    ? text.substring(((String) template.specialTokens().get("bos_token")).length()) : text;
            return images.isEmpty() ? PromptInput.ids(tokenizer.encode(written, !writesBos)) : PromptInput.text(written).withImages(images);
        }
    }

    /** Llama, Mistral, Qwen2 without a template: one 'Role: text' line per message. */
    record Plain() implements ChatLayout {
        @Override
        public String format() {
            return "plain: one line 'Role: text' per message, then 'Assistant:' (the model has no chat template)";
        }

        @Override
        public String layout(List<Message> messages) {
            StringBuilder s = new StringBuilder();
            for (Message m : messages) s.append(capitalized(m.role())).append(": ").append(text(m)).append('\n');
            return s.append("Assistant:").toString();
        }
    }

    /** LLaVA-1.5 as {@code akvq run} lays out a question, turn after turn, images numbered through the conversation. */
    record Llava(String imageToken) implements ChatLayout {
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
    record Idefics3() implements ChatLayout {
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
    record Qwen2VL() implements ChatLayout {
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
