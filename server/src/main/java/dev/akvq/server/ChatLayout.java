package dev.akvq.server;

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
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.List;

/**
 * A family's built-in chat layout: the messages as prompt text, each image as the family's marker
 * where its part stands, text parts of one message joined by newlines. Used until the
 * chat-template module renders tokenizer_config.json's template; {@link #format} is what
 * {@code /v1/models} says.
 */
sealed interface ChatLayout permits ChatLayout.Plain, ChatLayout.Llava, ChatLayout.Idefics3, ChatLayout.Qwen2VL {
    String format();

    String layout(List<Message> messages);

    /** The layout of {@code model}'s family. */
    static ChatLayout of(VisionLanguageModel model) {
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

    /** Llama, Mistral, Qwen2 without a template yet: one 'Role: text' line per message. */
    record Plain() implements ChatLayout {
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
