package dev.akvq.cli;

import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.template.ChatTemplate;
import dev.akvq.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A prompt laid out by the model's own chat template, handed to the family as its processor
 * would receive it. Text decoders get the ids of the rendered text without added special tokens,
 * as transformers' {@code apply_chat_template(..., tokenize=True)} encodes it. Vision families
 * get the rendered text with its image markers (which they expand per image), special tokens
 * added as their processors add them, except a BOS the template already wrote.
 */
final class TemplatePrompt {
    private TemplatePrompt() {}

    /** One message: plain text for a text decoder; for a vision family the image parts, then the text part. */
    static Map<String, Object> message(String role, String text, int images, boolean vision) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        if (!vision) {
            m.put("content", text);
        } else {
            List<Object> parts = new ArrayList<>();
            for (int i = 0; i < images; i++) parts.add(Map.of("type", "image"));
            parts.add(Map.of("type", "text", "text", text));
            m.put("content", parts);
        }
        return m;
    }

    /** What the family prefills for {@code rendered}, with the conversation's images in order. */
    static PromptInput input(VisionLanguageModel model, ChatTemplate template, String rendered, List<Path> images) {
        Tokenizer tokenizer = model.tokenizer();
        if (!model.takesImages()) return PromptInput.ids(tokenizer.encode(rendered, false));
        Object bos = template.specialTokens().get("bos_token");
        boolean writesBos = bos instanceof String b && rendered.startsWith(b);
        boolean addsBos = tokenizer.encode("", true).length > 0;
        String text = writesBos && addsBos ? rendered.substring(((String) bos).length()) : rendered;
        // Without images the family would lay the text out again; as ids it is taken as written.
        if (images.isEmpty()) return PromptInput.ids(tokenizer.encode(text, !writesBos));
        return PromptInput.text(text).withImageFiles(images);
    }
}
