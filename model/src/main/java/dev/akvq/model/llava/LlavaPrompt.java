package dev.akvq.model.llava;

import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.config.ClipVisionConfig;
import dev.akvq.weights.config.ConfigFieldException;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * LLaVA-1.5's prompt, as llava-hf's LlavaProcessor builds it (transformers 4.47.1
 * processing_llava.py): every {@code <image>} of the text is expanded to one image token per
 * feature row, {@code (H / patch_size)·(W / patch_size) + num_additional_image_tokens}, less one
 * under strategy "default" (the class token is dropped), and the result is tokenized with the
 * tokenizer's special tokens (BOS).
 *
 * <p>patch_size, vision_feature_select_strategy, num_additional_image_tokens and image_token
 * come from processor_config.json when the model directory has one; otherwise from config.json
 * (the vision tower's patch size, one additional token for CLIP's class token).
 *
 * @param imageToken the text of the image placeholder ({@code <image>})
 * @param tokensPerImage how many image tokens each placeholder becomes
 * @param imageTokenId config.json's image_token_index, which the tokenizer must give the placeholder
 */
public record LlavaPrompt(Tokenizer tokenizer, String imageToken, int tokensPerImage, int imageTokenId) {

    /** The prompt settings of {@code dir} (processor_config.json if present) for {@code config}. */
    public static LlavaPrompt load(Path dir, LlavaConfig config, Tokenizer tokenizer) {
        ClipVisionConfig v = config.visionConfig();
        Path file = dir.resolve("processor_config.json");
        int patch = v.patchSize(), additional = 1;
        String strategy = config.visionFeatureSelectStrategy(), token = "<image>";
        if (Files.isRegularFile(file)) {
            JsonObject o = Json.readObjectFile(file);
            patch = o.intOr("patch_size", patch);
            additional = o.intOr("num_additional_image_tokens", 0);
            strategy = o.stringOr("vision_feature_select_strategy", strategy);
            token = o.stringOr("image_token", token);
            if (patch < 1) throw new ConfigFieldException("patch_size", "must be positive in " + file + ", found " + patch);
        }
        int side = v.imageSize() / patch;
        int perImage = side * side + additional - (strategy.equals("default") ? 1 : 0);
        if (perImage < 1) {
            throw new IllegalArgumentException(file + ": " + perImage + " image tokens per image (patch_size " + patch
                    + ", num_additional_image_tokens " + additional + ", strategy " + strategy + ")");
        }
        return new LlavaPrompt(tokenizer, token, perImage, config.imageTokenIndex());
    }

    /**
     * The text layout of the bundled llava-shapes model and of LLaVA-1.5 with several images:
     * {@code USER: Image 1: <image>\nImage 2: <image>\n...{question} ASSISTANT:}.
     */
    public String layout(String question, int images) {
        StringBuilder s = new StringBuilder("USER: ");
        for (int i = 1; i <= images; i++) s.append("Image ").append(i).append(": ").append(imageToken).append('\n');
        return s.append(question).append(" ASSISTANT:").toString();
    }

    /** Placeholders in {@code text}. */
    public int slots(String text) {
        int count = 0;
        for (int at = text.indexOf(imageToken); at >= 0; at = text.indexOf(imageToken, at + imageToken.length())) count++;
        return count;
    }

    /**
     * The ids of {@code text} (one {@code <image>} per image, no BOS written) with every
     * placeholder expanded. The placeholders must match {@code images}; the image tokens the
     * tokenizer produces must be config.json's image_token_index.
     */
    public int[] encode(String text, int images) {
        int slots = slots(text);
        if (slots != images) {
            throw new IllegalArgumentException("the prompt has " + slots + " " + imageToken + " placeholder" + (slots == 1 ? "" : "s")
                    + " and " + images + " image" + (images == 1 ? " was" : "s were") + " given; expected one " + imageToken
                    + " per image");
        }
        String expanded = text.replace(imageToken, imageToken.repeat(tokensPerImage));
        int[] ids = tokenizer.encode(expanded, true);
        int found = 0;
        for (int id : ids) if (id == imageTokenId) found++;
        if (found != images * tokensPerImage) {
            throw new IllegalArgumentException("the tokenizer gave " + found + " tokens of id " + imageTokenId
                    + " (image_token_index) for " + images * tokensPerImage + " " + imageToken
                    + " placeholders; tokenizer.json must have " + imageToken + " as an added token with that id");
        }
        return ids;
    }
}
