package dev.akvq.tokenizer;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face tokenizer read from tokenizer.json, encoding as tokenizers v0.22 does:
 * added tokens are cut out first, the rest is normalized, pre-tokenized into words, and each word
 * is encoded by the BPE model (tokenizers/src/tokenizer/mod.rs, {@code encode_single_sequence}).
 * Decoding maps ids to tokens and runs the decoder. Supported today: BPE with byte-level
 * pre-tokenization (GPT-2, Qwen), SentencePiece-style BPE with byte fallback and no
 * pre-tokenizer (Llama 2), and the normalizers, post-processors and decoders in
 * {@link TextNormalizer}, {@link PostProcessor} and {@link TokenDecoder}.
 */
public final class Tokenizer {
    private final AddedTokens addedTokens;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BytePairModel model;
    private final PostProcessor postProcessor;
    private final TokenDecoder decoder;
    private final String[] idToToken;
    private final Set<Integer> specialIds = new HashSet<>();

    private Tokenizer(AddedTokens addedTokens, TextNormalizer normalizer, PreTokenizer preTokenizer, BytePairModel model,
                      PostProcessor postProcessor, TokenDecoder decoder) {
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.addedTokens = addedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        int size = model.vocabSize();
        for (AddedTokens.AddedToken t : addedTokens.all()) size = Math.max(size, t.id() + 1);
        this.idToToken = model.idToTokenTable(size);
        for (AddedTokens.AddedToken t : addedTokens.all()) {
            idToToken[t.id()] = t.content();
            if (t.special()) specialIds.add(t.id());
        }
    }

    /** Reads {@code dir/tokenizer.json}. */
    public static Tokenizer load(Path dir) {
        return fromJson(Json.readObjectFile(dir.resolve("tokenizer.json")));
    }

    public static Tokenizer fromJson(JsonObject root) {
        TextNormalizer normalizer = root.optObject("normalizer").map(TextNormalizer::fromJson).orElse(TextNormalizer.NONE);
        PreTokenizer preTokenizer = root.optObject("pre_tokenizer").map(PreTokenizer::fromJson).orElse(PreTokenizer.WHOLE_TEXT);
        PostProcessor postProcessor = root.optObject("post_processor").map(PostProcessor::fromJson).orElse(PostProcessor.NONE);
        TokenDecoder decoder = TokenDecoder.fromJson(root.optObject("decoder").orElseThrow(() -> new WeightsFormatException(
                root.sourceName() + ": field \"decoder\" is missing; expected e.g. {\"type\": \"ByteLevel\"}")));
        return new Tokenizer(AddedTokens.fromJson(root), normalizer, preTokenizer, BytePairModel.fromJson(root.requireObject("model")),
                postProcessor, decoder);
    }

    /**
     * The ids of {@code text}. {@code addSpecialTokens} asks the post-processor for BOS/EOS and
     * the like (GPT-2's and Qwen's ByteLevel post-processor adds none).
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (AddedTokens.Segment raw : addedTokens.split(text, false)) {
            if (raw.isAdded()) {
                ids.add(raw.addedId());
                continue;
            }
            for (AddedTokens.Segment seg : addedTokens.split(normalizer.apply(raw.text()), true)) {
                if (seg.isAdded()) {
                    ids.add(seg.addedId());
                    continue;
                }
                words.clear();
                preTokenizer.split(seg.text(), words);
                for (String w : words) model.encodeWord(w, ids);
            }
        }
        return postProcessor.apply(ids.stream().mapToInt(Integer::intValue).toArray(), addSpecialTokens);
    }

    /** The token strings of {@code text}, as tokenizers' Encoding.tokens gives them. */
    public List<String> tokens(String text, boolean addSpecialTokens) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text, addSpecialTokens)) out.add(idToToken[id]);
        return out;
    }

    /**
     * The text of {@code ids}: their tokens, special ones left out if asked, run through the
     * decoder and joined (tokenizer/mod.rs {@code decode}).
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>();
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue; // tokenizers skips unknown ids
            if (skipSpecialTokens && specialIds.contains(id)) continue;
            tokens.add(idToToken[id]);
        }
        return String.join("", decoder.decodeChain(tokens));
    }
}
