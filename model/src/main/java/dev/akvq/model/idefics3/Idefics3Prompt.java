package dev.akvq.model.idefics3;

import dev.akvq.tokenizer.Tokenizer;
import java.util.List;

/**
 * The prompt layout Idefics3Processor builds (transformers 4.47.1, commit 241c04d3,
 * processing_idefics3.py {@code get_image_prompt_string} and {@code __call__}): each
 * {@code <image>} of the text becomes, for an image split into {@code rows x cols} tiles,
 *
 * <pre>
 * for r in 1..rows: (for c in 1..cols: &lt;fake_token_around_image&gt;&lt;row_r_col_c&gt;&lt;image&gt;×L) "\n"
 * "\n"&lt;fake_token_around_image&gt;&lt;global-img&gt;&lt;image&gt;×L&lt;fake_token_around_image&gt;
 * </pre>
 *
 * and, for an image that was not split ({@code rows = cols = 0}),
 * {@code <fake_token_around_image><global-img><image>×L<fake_token_around_image>}, where
 * {@code L = image_seq_len} tokens per tile. The token strings are the processor's; their ids come
 * from the model's tokenizer, which holds them as added tokens.
 */
public final class Idefics3Prompt {
    private Idefics3Prompt() {}

    public static final String IMAGE = "<image>";
    public static final String FAKE_TOKEN_AROUND_IMAGE = "<fake_token_around_image>";
    public static final String GLOBAL_IMAGE = "<global-img>";
    public static final String END_OF_UTTERANCE = "<end_of_utterance>";

    /** How an image was tiled: {@code rows x cols} tiles plus the global one, or 0 x 0 for the global one only. */
    public record Tiling(int rows, int cols) {
        public Tiling {
            if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0)) {
                throw new IllegalArgumentException("rows_cols: [" + rows + ", " + cols + "] must both be 0 (no split) or"
                        + " both positive");
            }
        }

        /** Tiles the vision tower sees for this image: rows·cols + 1, or 1 unsplit. */
        public int tiles() {
            return rows == 0 ? 1 : rows * cols + 1;
        }
    }

    /** get_image_prompt_string: the text that replaces one {@code <image>}. */
    public static String imagePrompt(Tiling tiling, int imageSeqLen) {
        if (imageSeqLen < 1) throw new IllegalArgumentException("image_seq_len must be positive, found " + imageSeqLen);
        String images = IMAGE.repeat(imageSeqLen);
        String global = FAKE_TOKEN_AROUND_IMAGE + GLOBAL_IMAGE + images + FAKE_TOKEN_AROUND_IMAGE;
        if (tiling.rows() == 0) return global;
        StringBuilder s = new StringBuilder();
        for (int r = 1; r <= tiling.rows(); r++) {
            for (int c = 1; c <= tiling.cols(); c++) {
                s.append(FAKE_TOKEN_AROUND_IMAGE).append("<row_").append(r).append("_col_").append(c).append('>').append(images);
            }
            s.append('\n');
        }
        return s.append('\n').append(global).toString();
    }

    /**
     * The text with its {@code <image>} markers expanded, one tiling per marker in order
     * (Idefics3Processor.__call__ splits the sample on {@code <image>} and joins the pieces with
     * the image prompts). The counts must agree.
     */
    public static String expand(String text, List<Tiling> images, int imageSeqLen) {
        String[] pieces = text.split(java.util.regex.Pattern.quote(IMAGE), -1);
        if (pieces.length - 1 != images.size()) {
            throw new IllegalArgumentException("the prompt holds " + (pieces.length - 1) + " " + IMAGE + " markers but "
                    + images.size() + " images were given; put one " + IMAGE + " where each image goes");
        }
        StringBuilder s = new StringBuilder(pieces[0]);
        for (int i = 0; i < images.size(); i++) s.append(imagePrompt(images.get(i), imageSeqLen)).append(pieces[i + 1]);
        return s.toString();
    }

    /**
     * The ids of the expanded prompt. Every special token string must be a single token of
     * {@code tokenizer} (an added token), or the image features would not line up.
     */
    public static int[] encode(Tokenizer tokenizer, String text, List<Tiling> images, int imageSeqLen,
                               boolean addSpecialTokens) {
        for (String special : List.of(IMAGE, FAKE_TOKEN_AROUND_IMAGE, GLOBAL_IMAGE)) {
            int[] ids = tokenizer.encode(special, false);
            if (ids.length != 1) {
                throw new IllegalArgumentException("tokenizer.json: \"" + special + "\" is " + ids.length + " tokens, expected"
                        + " one (an added token of Idefics3's tokenizer)");
            }
        }
        return tokenizer.encode(expand(text, images, imageSeqLen), addSpecialTokens);
    }
}
