package dev.akvq.model.qwen2vl;

import dev.akvq.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2-VL's prompt text, built as its processor builds it (transformers 4.47.1 at 241c04d3):
 *
 * <ol>
 *   <li>the chat template of Qwen2-VL-Instruct (chat_template.json): a default system turn when
 *       the first message is not one, {@code <|im_start|>role\n ... <|im_end|>\n} per message,
 *       each image as {@code <|vision_start|><|image_pad|><|vision_end|>} and each video as
 *       {@code <|vision_start|><|video_pad|><|vision_end|>} in content order, then the generation
 *       prompt {@code <|im_start|>assistant\n};</li>
 *   <li>Qwen2VLProcessor.__call__: the i-th {@code <|image_pad|>} becomes
 *       {@code grid_i.t · h · w / merge_size²} pad tokens (videos likewise), which is where the
 *       merger's rows go;</li>
 *   <li>the tokenizer, which splits the special tokens out as added tokens.</li>
 * </ol>
 */
public final class Qwen2VLPrompt {
    public static final String IM_START = "<|im_start|>", IM_END = "<|im_end|>";
    public static final String VISION_START = "<|vision_start|>", VISION_END = "<|vision_end|>";
    public static final String IMAGE_PAD = "<|image_pad|>", VIDEO_PAD = "<|video_pad|>";
    /** The chat template's system turn when the conversation does not start with one. */
    public static final String DEFAULT_SYSTEM = "You are a helpful assistant.";

    private final StringBuilder text = new StringBuilder();
    private boolean first = true, inTurn;

    /** Starts a system turn with {@code content}; only as the first message. */
    public Qwen2VLPrompt system(String content) {
        if (!first) throw new IllegalStateException("Qwen2VLPrompt: a system message must come first");
        return turn("system").text(content).endTurn();
    }

    /** Starts a user turn; add its {@link #image}, {@link #video} and {@link #text} parts in order. */
    public Qwen2VLPrompt user() {
        return turn("user");
    }

    /** Adds a finished assistant turn (an earlier answer). */
    public Qwen2VLPrompt assistant(String content) {
        return turn("assistant").text(content).endTurn();
    }

    public Qwen2VLPrompt image() {
        return part(VISION_START + IMAGE_PAD + VISION_END);
    }

    public Qwen2VLPrompt video() {
        return part(VISION_START + VIDEO_PAD + VISION_END);
    }

    public Qwen2VLPrompt text(String content) {
        return part(content);
    }

    /** The template's text with the generation prompt, pads not yet expanded. */
    public String build() {
        if (inTurn) endTurn();
        return text + IM_START + "assistant\n";
    }

    /**
     * Replaces the i-th {@code <|image_pad|>} of {@code prompt} with {@code images.get(i).mergedTokens(mergeSize)}
     * pad tokens, and the same for videos; a number of pads that differs from the number of
     * grids is an error naming both.
     */
    public static String expand(String prompt, List<ImageGrid> images, List<ImageGrid> videos, int mergeSize) {
        return expandOne(expandOne(prompt, IMAGE_PAD, images, mergeSize, "image_grid_thw"), VIDEO_PAD, videos, mergeSize,
                "video_grid_thw");
    }

    /** {@link #expand}, then the tokenizer (special tokens are added tokens of Qwen's tokenizer.json). */
    public static int[] encode(Tokenizer tokenizer, String prompt, List<ImageGrid> images, List<ImageGrid> videos, int mergeSize) {
        return tokenizer.encode(expand(prompt, images, videos, mergeSize), true);
    }

    private static String expandOne(String prompt, String pad, List<ImageGrid> grids, int mergeSize, String gridName) {
        List<String> pieces = new ArrayList<>(List.of(prompt.split(java.util.regex.Pattern.quote(pad), -1)));
        int pads = pieces.size() - 1;
        if (pads != grids.size()) {
            throw new IllegalArgumentException("prompt has " + pads + " " + pad + " but " + gridName + " has " + grids.size()
                    + " rows; each image (video) needs exactly one " + pad + " in the text");
        }
        StringBuilder out = new StringBuilder(pieces.get(0));
        for (int i = 0; i < pads; i++) {
            out.append(pad.repeat(grids.get(i).mergedTokens(mergeSize))).append(pieces.get(i + 1));
        }
        return out.toString();
    }

    private Qwen2VLPrompt turn(String role) {
        if (inTurn) endTurn();
        if (first && !role.equals("system")) text.append(IM_START).append("system\n").append(DEFAULT_SYSTEM).append(IM_END).append('\n');
        first = false;
        inTurn = true;
        text.append(IM_START).append(role).append('\n');
        return this;
    }

    private Qwen2VLPrompt part(String s) {
        if (!inTurn) throw new IllegalStateException("Qwen2VLPrompt: start a turn (user()) before adding content");
        text.append(s);
        return this;
    }

    private Qwen2VLPrompt endTurn() {
        text.append(IM_END).append('\n');
        inTurn = false;
        return this;
    }
}
