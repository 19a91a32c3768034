package dev.akvq.tokenizer;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNull;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fields of tokenizer_config.json that change how text becomes ids, as transformers 4.47.1
 * reads them (tokenization_utils_base.py, {@code PreTrainedTokenizerBase.__init__}; commit
 * 241c04d3). Fields the file leaves out keep transformers' defaults: no special tokens,
 * clean_up_tokenization_spaces false, model_max_length unbounded ({@code VERY_LARGE_INTEGER},
 * int(1e30), which files also write out), no chat template. {@code add_bos_token} and
 * {@code add_eos_token} are kept as written: only the Llama-style classes act on them (see
 * {@link #rebuildsPostProcessor}).
 *
 * @param addedTokensDecoder added_tokens_decoder by id (a token's "normalized" flag as written, default true)
 * @param bosToken           bos_token, written either as a string or as {"content": ...} (older files' AddedToken form)
 * @param modelMaxLength     model_max_length; empty when unbounded (absent, or 1e30 or more)
 * @param tokenizerClass     tokenizer_class, e.g. "LlamaTokenizer"
 */
public record TokenizerConfig(Map<Integer, AddedTokens.AddedToken> addedTokensDecoder, Optional<String> bosToken,
        Optional<String> eosToken, Optional<String> padToken, Optional<String> unkToken, Optional<Boolean> addBosToken,
        Optional<Boolean> addEosToken, boolean cleanUpTokenizationSpaces, boolean hasChatTemplate,
        OptionalLong modelMaxLength, Optional<String> tokenizerClass) {

    public static final String FILE_NAME = "tokenizer_config.json";

    /** What transformers assumes without a tokenizer_config.json. */
    public static final TokenizerConfig DEFAULTS = new TokenizerConfig(Map.of(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false, false, OptionalLong.empty(),
            Optional.empty());

    /**
     * The classes whose fast tokenizer replaces tokenizer.json's post-processor at load with
     * "[bos] $A [eos]" from add_bos_token (default true) and add_eos_token (default false):
     * {@code LlamaTokenizerFast.update_post_processor} in models/llama/tokenization_llama_fast.py,
     * and the same in code_llama and gemma (transformers 241c04d3).
     */
    private static final Set<String> REBUILDS_POST_PROCESSOR = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
            "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");

    public TokenizerConfig {
        addedTokensDecoder = Collections.unmodifiableMap(new TreeMap<>(addedTokensDecoder));
        Objects.requireNonNull(bosToken, "bosToken");
        Objects.requireNonNull(eosToken, "eosToken");
        Objects.requireNonNull(padToken, "padToken");
        Objects.requireNonNull(unkToken, "unkToken");
        Objects.requireNonNull(addBosToken, "addBosToken");
        Objects.requireNonNull(addEosToken, "addEosToken");
        Objects.requireNonNull(tokenizerClass, "tokenizerClass");
        if (modelMaxLength.isPresent() && modelMaxLength.getAsLong() <= 0)
            throw new IllegalArgumentException("model_max_length must be positive, found " + modelMaxLength.getAsLong());
    }

    /** {@code dir/tokenizer_config.json}, if the directory has one. */
    public static Optional<TokenizerConfig> find(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) return Optional.empty();
        return Optional.of(fromJson(Json.readObjectFile(file)));
    }

    public static TokenizerConfig fromJson(JsonObject o) {
        Map<Integer, AddedTokens.AddedToken> added = new TreeMap<>();
        JsonObject decoder = o.optObject("added_tokens_decoder").orElse(null);
        if (decoder != null) {
            for (Map.Entry<String, JsonValue> e : decoder.members().entrySet()) {
                int id = addedTokenId(decoder, e.getKey());
                if (!(e.getValue() instanceof JsonObject))
                    throw decoder.fieldError(e.getKey(), "expected an object {\"content\": ...}, found " + e.getValue().describe());
                JsonObject t = decoder.requireObject(e.getKey()); // the same object, naming its fields in full
                String content = t.requireString("content");
                if (content.isEmpty()) throw t.fieldError("content", "is empty");
                added.put(id, new AddedTokens.AddedToken(id, content, t.booleanOr("single_word", false), t.booleanOr("lstrip", false),
                        t.booleanOr("rstrip", false), t.booleanOr("normalized", true), t.booleanOr("special", false)));
            }
        }
        return new TokenizerConfig(added, specialToken(o, "bos_token"), specialToken(o, "eos_token"),
                specialToken(o, "pad_token"), specialToken(o, "unk_token"), o.optBoolean("add_bos_token"),
                o.optBoolean("add_eos_token"), o.booleanOr("clean_up_tokenization_spaces", false), chatTemplate(o),
                modelMaxLength(o), o.optString("tokenizer_class"));
    }

    private static int addedTokenId(JsonObject decoder, String key) {
        try {
            int id = Integer.parseInt(key);
            if (id >= 0 && key.equals(Integer.toString(id))) return id;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw decoder.fieldError(key, "expected the key to be a token id (an integer >= 0), found \"" + key + "\"");
    }

    /** A string, null, or the {"__type": "AddedToken", "content": ...} object older files write. */
    private static Optional<String> specialToken(JsonObject o, String key) {
        Optional<JsonValue> v = o.get(key);
        if (v.isEmpty() || v.get() instanceof JsonNull) return Optional.empty();
        String content = switch (v.get()) {
            case JsonString s -> s.value();
            case JsonObject t -> o.requireObject(key).requireString("content");
            default -> throw o.fieldError(key, "expected a token string or {\"content\": ...}, found " + v.get().describe());
        };
        if (content.isEmpty()) throw o.fieldError(key, "the token is empty");
        return Optional.of(content);
    }

    /** chat_template is a Jinja string or a list of {"name", "template"} (named templates). */
    private static boolean chatTemplate(JsonObject o) {
        Optional<JsonValue> v = o.get("chat_template");
        if (v.isEmpty() || v.get() instanceof JsonNull) return false;
        if (v.get() instanceof JsonString s) return !s.value().isEmpty();
        if (v.get() instanceof JsonArray a) return a.size() > 0;
        throw o.fieldError("chat_template", "expected a template string or a list of {\"name\", \"template\"}, found "
                + v.get().describe());
    }

    private static OptionalLong modelMaxLength(JsonObject o) {
        Optional<JsonValue> v = o.get("model_max_length");
        if (v.isEmpty() || v.get() instanceof JsonNull) return OptionalLong.empty();
        if (!(v.get() instanceof JsonNumber n))
            throw o.fieldError("model_max_length", "expected a positive integer, found " + v.get().describe());
        // transformers writes VERY_LARGE_INTEGER = int(1e30) (as 1000000000000000019884624838656 or 1e+30) for "no limit".
        if (n.doubleValue() >= 1e30) return OptionalLong.empty();
        Optional<Long> exact = n.isIntegerLiteral() ? n.longValueExact() : Optional.empty();
        double d = n.doubleValue(); // some files write 2048.0
        if (exact.isEmpty() && d == Math.rint(d) && Math.abs(d) < 0x1p53) exact = Optional.of((long) d);
        if (exact.isEmpty() || exact.get() <= 0)
            throw o.fieldError("model_max_length", "expected a positive integer (or 1e30 for no limit), found " + n.describe());
        return OptionalLong.of(exact.get());
    }

    /** Whether transformers rebuilds the post-processor from add_bos_token/add_eos_token for this class. */
    public boolean rebuildsPostProcessor() {
        return tokenizerClass.isPresent() && REBUILDS_POST_PROCESSOR.contains(tokenizerClass.get());
    }

    /**
     * transformers' {@code clean_up_tokenization} (tokenization_utils_base.py, 241c04d3), which
     * {@code decode} applies when clean_up_tokenization_spaces is true: removes the space before
     * . ? ! , and before 'm 's 've 're n't (the English contractions).
     */
    public static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }
}
