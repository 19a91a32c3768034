package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * tokenizer_config.json: the real files of the llava-shapes model, qwen3 and Llama 2, transformers'
 * defaults, the Llama-style post-processor rebuilt from add_bos_token/add_eos_token
 * (tokenization_llama_fast.py, transformers 241c04d3), and an error naming each bad field.
 */
class TokenizerConfigTest {
    static final Path LLAVA_SHAPES = TokenizerGoldenTest.FIXTURES.resolveSibling("models").resolve("llava-shapes");

    /** A tokenizer.json whose own post-processor adds nothing, with <s> and </s> as added tokens. */
    private static final JsonObject TOKENIZER_JSON = Json.parseObject("""
            {"added_tokens": [
               {"id": 3, "content": "<s>", "special": true, "normalized": false},
               {"id": 4, "content": "</s>", "special": true, "normalized": false}],
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "hi": 2, "<s>": 3, "</s>": 4}, "merges": ["h i"]}}
            """, "tokenizer.json");

    private static Tokenizer withConfig(String configJson) {
        TokenizerConfig config = TokenizerConfig.fromJson(Json.parseObject(configJson, "tokenizer_config.json"));
        return Tokenizer.fromJson(TOKENIZER_JSON, config, "tokenizer_config.json");
    }

    @Test
    void llavaShapesConfigIsRead() {
        Tokenizer t = Tokenizer.load(LLAVA_SHAPES);
        TokenizerConfig c = t.config();
        assertEquals(List.of(50256, 50257, 50258), List.copyOf(c.addedTokensDecoder().keySet()));
        assertEquals(new AddedTokens.AddedToken(50257, "<image>", false, false, false, false, true), c.addedTokensDecoder().get(50257));
        assertEquals(Optional.of("<|endoftext|>"), c.bosToken());
        assertEquals(Optional.of("<|endoftext|>"), c.eosToken());
        assertEquals(Optional.of("<pad>"), c.padToken());
        assertEquals(Optional.of("<|endoftext|>"), c.unkToken());
        assertEquals(Optional.of(true), c.addBosToken());
        assertEquals(Optional.of(false), c.addEosToken());
        assertFalse(c.cleanUpTokenizationSpaces());
        assertFalse(c.hasChatTemplate());
        assertEquals(OptionalLong.of(1024), c.modelMaxLength());
        assertEquals(Optional.of("GPT2Tokenizer"), c.tokenizerClass());
        assertFalse(c.rebuildsPostProcessor());
        // GPT2TokenizerFast keeps tokenizer.json's post-processor, which already prepends <|endoftext|>.
        assertEquals(Optional.of(50258), t.tokenId("<pad>"));
        assertArrayEquals(new int[] {50256, 40, 50257}, t.encode("I<image>", true));
    }

    @Test
    void qwen3HasAChatTemplateAndNoBos() {
        TokenizerConfig c = Tokenizer.load(TokenizerGoldenTest.FIXTURES.resolve("qwen3")).config();
        assertTrue(c.hasChatTemplate());
        assertEquals(Optional.empty(), c.bosToken());
        assertEquals(Optional.of("<|im_end|>"), c.eosToken());
        assertEquals(OptionalLong.of(131072), c.modelMaxLength());
    }

    @Test
    void llama2IsLlamaStyleWithNoLengthLimit() {
        TokenizerGoldenTest.tokenizerDir("llama2"); // fetched by TokenizerGoldenTest's script; fails here if missing
        Tokenizer t = Tokenizer.load(TokenizerGoldenTest.LLAMA2_FILES);
        assertTrue(t.config().rebuildsPostProcessor());
        assertEquals(OptionalLong.empty(), t.config().modelMaxLength(), "1000000000000000019884624838656 means no limit");
        assertEquals(1, t.encode("Hello", true)[0]);
    }

    @Test
    void aDirectoryWithoutConfigGetsTransformersDefaults(@TempDir Path dir) throws java.io.IOException {
        java.nio.file.Files.copy(TokenizerGoldenTest.tokenizerDir("gpt2").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        assertEquals(TokenizerConfig.DEFAULTS, Tokenizer.load(dir).config());
        assertEquals(TokenizerConfig.DEFAULTS, TokenizerConfig.fromJson(Json.parseObject("{}", "tokenizer_config.json")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "LlamaTokenizerFast | true  | false | 3,2",
            "LlamaTokenizerFast | true  | true  | 3,2,4",
            "LlamaTokenizer     | false | true  | 2,4",
            "LlamaTokenizerFast | false | false | 2",
            "GPT2Tokenizer      | true  | true  | 2"})
    void llamaStyleClassesRebuildThePostProcessor(String tokenizerClass, boolean addBos, boolean addEos, String expected) {
        Tokenizer t = withConfig("{\"tokenizer_class\": \"" + tokenizerClass + "\", \"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
                + " \"add_bos_token\": " + addBos + ", \"add_eos_token\": " + addEos + "}");
        int[] ids = java.util.Arrays.stream(expected.split(",")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(ids, t.encode("hi", true));
        assertArrayEquals(new int[] {2}, t.encode("hi", false));
    }

    @Test
    void llamaDefaultsAddBosOnly() {
        assertArrayEquals(new int[] {3, 2}, withConfig("{\"tokenizer_class\": \"LlamaTokenizerFast\", \"bos_token\": \"<s>\"}").encode("hi", true));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"add_bos_token\": \"yes\"                                      | add_bos_token",
            "\"add_eos_token\": 1                                            | add_eos_token",
            "\"clean_up_tokenization_spaces\": \"no\"                        | clean_up_tokenization_spaces",
            "\"model_max_length\": -5                                        | model_max_length",
            "\"model_max_length\": 2.5                                       | model_max_length",
            "\"model_max_length\": \"big\"                                   | model_max_length",
            "\"chat_template\": 5                                            | chat_template",
            "\"bos_token\": 7                                                | bos_token",
            "\"bos_token\": \"<bos>\"                                        | bos_token",
            "\"eos_token\": \"\"                                             | eos_token",
            "\"pad_token\": \"<pad>\"                                        | pad_token",
            "\"unk_token\": {\"content\": \"<unk>\"}                         | unk_token",
            "\"tokenizer_class\": [1]                                        | tokenizer_class",
            "\"added_tokens_decoder\": {\"x\": {\"content\": \"<s>\"}}       | added_tokens_decoder.x",
            "\"added_tokens_decoder\": {\"3\": {\"content\": \"<bos>\"}}     | added_tokens_decoder.3",
            "\"added_tokens_decoder\": {\"9\": {\"content\": \"<new>\"}}     | added_tokens_decoder.9",
            "\"added_tokens_decoder\": {\"3\": \"<s>\"}                      | added_tokens_decoder.3",
            "\"added_tokens_decoder\": {\"3\": {\"content\": \"<s>\", \"special\": \"y\"}} | added_tokens_decoder.3.special",
            "\"tokenizer_class\": \"LlamaTokenizer\", \"add_bos_token\": true  | add_bos_token",
            "\"tokenizer_class\": \"LlamaTokenizer\", \"bos_token\": \"<s>\", \"add_eos_token\": true | add_eos_token"})
    void aBadFieldIsNamed(String members, String field) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> withConfig("{" + members + "}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("\"" + field + "\""), e.getMessage());
    }

    @Test
    void modelMaxLengthMayBeWrittenAsAWholeFloat() {
        assertEquals(OptionalLong.of(2048), withConfig("{\"model_max_length\": 2048.0}").config().modelMaxLength());
        assertEquals(OptionalLong.empty(), withConfig("{\"model_max_length\": 1e30}").config().modelMaxLength());
    }

    @Test
    void anAddedTokenOlderFilesWriteAsAnObjectIsRead() {
        Tokenizer t = withConfig("{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<s>\", \"lstrip\": false}}");
        assertEquals(Optional.of("<s>"), t.config().bosToken());
    }

    @Test
    void cleanUpRemovesTheSpacesTransformersRemoves() {
        assertEquals("Hello, world! I don't know. Is it?", TokenizerConfig.cleanUpTokenizationSpaces("Hello , world ! I do n't know . Is it ?"));
        assertEquals("it's we're I'm they've", TokenizerConfig.cleanUpTokenizationSpaces("it 's we 're I 'm they 've"));
    }
}
