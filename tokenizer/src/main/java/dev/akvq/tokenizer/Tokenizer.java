package dev.akvq.tokenizer;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face tokenizer read from tokenizer.json, encoding as tokenizers v0.22 does:
 * added tokens are cut out first, the rest is normalized, pre-tokenized into words, and each word
 * is encoded by the BPE model (tokenizers/src/tokenizer/mod.rs, {@code encode_single_sequence}).
 * Decoding maps ids to tokens and runs the decoder. Supported today: BPE with byte-level
 * pre-tokenization (GPT-2, Qwen), SentencePiece-style BPE with byte fallback, with no
 * pre-tokenizer (Llama 2) or Metaspace (Mistral), and the normalizers, pre-tokenizers,
 * post-processors and decoders in {@link TextNormalizer}, {@link PreTokenizer},
 * {@link PostProcessor} and {@link TokenDecoder}.
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
    private final TokenizerConfig config;
    private final boolean decoderRewritesEarlierText;
    private final boolean decoderHasByteFallback;

    private Tokenizer(AddedTokens addedTokens, TextNormalizer normalizer, PreTokenizer preTokenizer, BytePairModel model,
                      PostProcessor postProcessor, TokenDecoder decoder, boolean decoderRewritesEarlierText, boolean decoderHasByteFallback,
                      TokenizerConfig config) {
        this.postProcessor = postProcessor;
        this.decoderRewritesEarlierText = decoderRewritesEarlierText;
        this.decoderHasByteFallback = decoderHasByteFallback;
        this.config = config;
        this.decoder = decoder;
        this.addedTokens = addedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        int size = model.idLimit();
        for (AddedTokens.AddedToken t : addedTokens.all()) size = Math.max(size, t.id() + 1);
        this.idToToken = model.idToTokenTable(size);
        for (AddedTokens.AddedToken t : addedTokens.all()) {
            idToToken[t.id()] = t.content();
            if (t.special()) specialIds.add(t.id());
        }
    }

    /**
     * Reads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}, and
     * checks that they agree: every added_tokens_decoder entry is the token tokenizer.json has at
     * that id, and bos/eos/pad/unk_token are tokens of the vocab. For the Llama-style classes
     * ({@link TokenizerConfig#rebuildsPostProcessor}) the post-processor becomes
     * "[bos] $A [eos]" from add_bos_token/add_eos_token, as transformers' fast tokenizer does.
     */
    public static Tokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonReader.Parts parts = TokenizerJsonReader.read(readBytes(file), file.toString());
        Path configFile = dir.resolve(TokenizerConfig.FILE_NAME);
        TokenizerConfig config = TokenizerConfig.find(dir).orElse(TokenizerConfig.DEFAULTS);
        JsonObject root = parts.root();
        if (parts.vocab() == null) return fromJson(root, config, configFile.toString());
        BytePairModel model = BytePairModel.fromParts(requireModel(root), parts.vocab(), parts.merges());
        return build(root, model, config, configFile.toString());
    }

    private static byte[] readBytes(Path file) {
        try {
            long size = Files.size(file);
            if (size > Json.MAX_FILE_BYTES) {
                throw new WeightsFormatException(file + ": file is " + size + " bytes; at most " + Json.MAX_FILE_BYTES + " are accepted");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WeightsFormatException(file + ": no such file", e);
        } catch (IOException e) {
            throw new WeightsFormatException(file + ": cannot read: " + e, e);
        }
    }

    private static JsonObject requireModel(JsonObject root) {
        return root.optObject("model").orElseThrow(() -> new WeightsFormatException(root.sourceName()
                + ": field \"model\" is missing; expected {\"type\": \"BPE\", \"vocab\": ..., \"merges\": ...}"));
    }

    /** tokenizer.json alone, as Hugging Face tokenizers reads it (no tokenizer_config.json). */
    public static Tokenizer fromJson(JsonObject root) {
        return fromJson(root, TokenizerConfig.DEFAULTS, TokenizerConfig.FILE_NAME);
    }

    /** tokenizer.json with the tokenizer_config.json fields {@code config}; {@code configName} names that file in errors. */
    public static Tokenizer fromJson(JsonObject root, TokenizerConfig config, String configName) {
        return build(root, BytePairModel.fromJson(requireModel(root)), config, configName);
    }

    private static Tokenizer build(JsonObject root, BytePairModel model, TokenizerConfig config, String configName) {
        TextNormalizer normalizer = root.optObject("normalizer").map(TextNormalizer::fromJson).orElse(TextNormalizer.NONE);
        PreTokenizer preTokenizer = root.optObject("pre_tokenizer").map(PreTokenizer::fromJson).orElse(PreTokenizer.WHOLE_TEXT);
        PostProcessor postProcessor = root.optObject("post_processor").map(PostProcessor::fromJson).orElse(PostProcessor.NONE);
        JsonObject decoderJson = root.optObject("decoder").orElseThrow(() -> new WeightsFormatException(
                root.sourceName() + ": field \"decoder\" is missing; expected e.g. {\"type\": \"ByteLevel\"}"));
        TokenDecoder decoder = TokenDecoder.fromJson(decoderJson);
        AddedTokens addedTokens = AddedTokens.fromJson(root);
        checkConfig(config, configName, model, addedTokens);
        if (config.rebuildsPostProcessor()) postProcessor = llamaPostProcessor(config, configName, model, addedTokens);
        return new Tokenizer(addedTokens, normalizer, preTokenizer, model, postProcessor, decoder,
                TokenDecoder.rewritesEarlierText(decoderJson), TokenDecoder.hasByteFallback(decoderJson), config);
    }

    private static void checkConfig(TokenizerConfig config, String configName, BytePairModel model, AddedTokens addedTokens) {
        // The token at each id, as the id table will hold it: an added token's content, else the vocab's.
        Map<Integer, String> have = new HashMap<>();
        for (AddedTokens.AddedToken t : addedTokens.all()) have.put(t.id(), t.content());
        Set<Integer> inVocab = new HashSet<>(config.addedTokensDecoder().keySet());
        inVocab.removeAll(have.keySet());
        have.putAll(model.tokensOf(inVocab));
        for (AddedTokens.AddedToken a : config.addedTokensDecoder().values()) {
            String found = have.get(a.id());
            if (!a.content().equals(found)) {
                throw new WeightsFormatException(configName + ": field \"added_tokens_decoder." + a.id() + "\": \"" + a.content()
                        + "\" but tokenizer.json has " + (found == null ? "no token" : "\"" + found + "\"") + " with id " + a.id()
                        + "; the two files must come from the same tokenizer");
            }
        }
        requireToken(configName, "bos_token", config.bosToken(), model, addedTokens);
        requireToken(configName, "eos_token", config.eosToken(), model, addedTokens);
        requireToken(configName, "pad_token", config.padToken(), model, addedTokens);
        requireToken(configName, "unk_token", config.unkToken(), model, addedTokens);
    }

    private static void requireToken(String configName, String field, Optional<String> token, BytePairModel model, AddedTokens addedTokens) {
        if (token.isPresent() && tokenId(token.get(), model, addedTokens).isEmpty()) {
            throw new WeightsFormatException(configName + ": field \"" + field + "\": \"" + token.get()
                    + "\" is neither in tokenizer.json's vocab nor one of its added_tokens");
        }
    }

    /**
     * tokenization_llama_fast.py {@code update_post_processor} (transformers 241c04d3): single =
     * "bos:0 $A:0 eos:0", each special token only if its add_*_token flag (defaults true and
     * false) is set; a flag set without its token is an error there too.
     */
    private static PostProcessor llamaPostProcessor(TokenizerConfig config, String configName, BytePairModel model, AddedTokens addedTokens) {
        boolean addBos = config.addBosToken().orElse(true), addEos = config.addEosToken().orElse(false);
        if (addBos && config.bosToken().isEmpty())
            throw new WeightsFormatException(configName + ": field \"add_bos_token\" is true but bos_token is not set");
        if (addEos && config.eosToken().isEmpty())
            throw new WeightsFormatException(configName + ": field \"add_eos_token\" is true but eos_token is not set");
        int bos = addBos ? tokenId(config.bosToken().get(), model, addedTokens).orElseThrow() : -1;
        int eos = addEos ? tokenId(config.eosToken().get(), model, addedTokens).orElseThrow() : -1;
        return (ids, add) -> {
            if (!add) return ids;
            int[] out = new int[ids.length + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
            int k = 0;
            if (addBos) out[k++] = bos;
            for (int id : ids) out[k++] = id;
            if (addEos) out[k] = eos;
            return out;
        };
    }

    /** The tokenizer_config.json fields (transformers' defaults when the directory has none). */
    public TokenizerConfig config() {
        return config;
    }

    /** The id of a token of the vocab or an added token. */
    public Optional<Integer> tokenId(String token) {
        return tokenId(token, model, addedTokens);
    }

    private static Optional<Integer> tokenId(String token, BytePairModel model, AddedTokens addedTokens) {
        Optional<Integer> id = model.tokenToId(token);
        if (id.isPresent()) return id;
        for (AddedTokens.AddedToken t : addedTokens.all()) if (t.content().equals(token)) return Optional.of(t.id());
        return Optional.empty();
    }

    /** One more than the largest id, added tokens included (some ids below it may have no token). */
    public int vocabSize() {
        return idToToken.length;
    }

    /** The token string of {@code id}, if the id has one. */
    public Optional<String> token(int id) {
        return id >= 0 && id < idToToken.length ? Optional.ofNullable(idToToken[id]) : Optional.empty();
    }

    /**
     * The ids of {@code text}. {@code addSpecialTokens} asks the post-processor for BOS/EOS and
     * the like (GPT-2's and Qwen's ByteLevel post-processor adds none). Lone surrogates are
     * read as U+FFFD ({@link #replaceLoneSurrogates}); no String makes encode throw.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        text = replaceLoneSurrogates(text);
        IntList ids = new IntList(text.length() / 3);
        List<String> words = new ArrayList<>();
        // Only the first piece of text, when no added token comes before it and the normalizer
        // kept its first character, begins the input (Metaspace's prepend_scheme "first" looks at
        // that: offsets_original().0 == 0).
        boolean atStart = true;
        for (AddedTokens.Segment raw : addedTokens.split(text, false)) {
            if (raw.isAdded()) {
                ids.add(raw.addedId());
                atStart = false;
                continue;
            }
            atStart = atStart && normalizer.keepsStart(raw.text());
            for (AddedTokens.Segment seg : addedTokens.split(normalizer.apply(raw.text()), true)) {
                if (seg.isAdded()) {
                    ids.add(seg.addedId());
                    atStart = false;
                    continue;
                }
                words.clear();
                preTokenizer.split(seg.text(), atStart, words);
                atStart = false;
                for (String w : words) ids.addAll(model.wordIds(w));
            }
            atStart = false;
        }
        return postProcessor.apply(ids.toArray(), addSpecialTokens);
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
            String t = decodedToken(id, skipSpecialTokens);
            if (t != null) tokens.add(t);
        }
        return decodeTokens(tokens);
    }

    /**
     * A decoder for generation: {@link StreamingDecoder#push} takes one id at a time and returns
     * the text that is final so far; everything pushed, then {@link StreamingDecoder#finish},
     * concatenates to {@code decode(ids, skipSpecialTokens)}.
     */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /** The token decode sees for {@code id}, or null when decode leaves it out (unknown id, or special and skipped). */
    String decodedToken(int id, boolean skipSpecialTokens) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) return null; // tokenizers skips unknown ids
        if (skipSpecialTokens && specialIds.contains(id)) return null;
        return idToToken[id];
    }

    /** The decoder chain over {@code tokens}, joined. */
    String decodeTokens(List<String> tokens) {
        return String.join("", decoder.decodeChain(tokens));
    }

    /** Whether the decoder chain strips characters from the end of the text (a Strip with stop > 0). */
    boolean decoderRewritesEarlierText() {
        return decoderRewritesEarlierText;
    }

    /** Whether the decoder chain joins runs of "<0xNN>" tokens (ByteFallback). */
    boolean decoderHasByteFallback() {
        return decoderHasByteFallback;
    }

    /**
     * Java strings are UTF-16 and may hold unpaired surrogates, which UTF-8 cannot encode; the
     * Rust library only ever sees valid UTF-8. We define the text to be the one Node's and
     * Python's "replace" conversion to UTF-8 gives: each lone surrogate becomes U+FFFD, before
     * anything else (added tokens, normalizer) sees the text.
     */
    static String replaceLoneSurrogates(String text) {
        StringBuilder out = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                if (out != null) out.append(c).append(text.charAt(i + 1));
                i++;
                continue;
            }
            boolean lone = Character.isSurrogate(c); // a low surrogate reached here has no high one before it
            if (lone && out == null) out = new StringBuilder(n).append(text, 0, i);
            if (out != null) out.append(lone ? '\uFFFD' : c);
        }
        return out == null ? text : out.toString();
    }
}
