package dev.akvq.weights.config;

import dev.akvq.weights.WeightsFormatException;
import dev.akvq.weights.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    @TempDir
    Path tmp;

    /** The copied fixture configs (see src/test/resources/README.md). */
    static Path fixture(String model) {
        try {
            Path p = Path.of(ModelConfigTest.class.getResource("/configs/" + model + "/config.json").toURI()).getParent();
            return p;
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource configs/" + model + " is missing", e);
        }
    }

    private ModelConfig parse(String json) {
        return ModelConfig.fromJson(Json.parseObject(json, "config.json"));
    }

    private WeightsFormatException rejects(String json, String... fragments) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> parse(json));
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "lacks \"" + f + "\": " + e.getMessage());
        return e;
    }

    @Test
    void llamaFixture() {
        TextDecoderConfig c = assertInstanceOf(TextDecoderConfig.class, ModelConfig.load(fixture("llama")));
        assertEquals("llama", c.modelType());
        assertEquals(512, c.vocabSize());
        assertEquals(64, c.hiddenSize());
        assertEquals(176, c.intermediateSize());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(Optional.empty(), c.ropeScaling());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias() || c.outputBias() || c.mlpBias());
        assertEquals(OptionalInt.of(1), c.bosTokenId());
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(OptionalInt.of(0), c.padTokenId());
        assertEquals(Optional.empty(), c.slidingWindow());
    }

    @Test
    void llavaFixtureUsesDefaultsForOmittedFields() {
        LlavaConfig c = assertInstanceOf(LlavaConfig.class, ModelConfig.load(fixture("llava")));
        TextDecoderConfig t = c.textConfig();
        assertEquals("llama", t.modelType());
        assertEquals(1e-5, t.rmsNormEps());
        assertEquals(10000.0, t.ropeTheta(), "rope_theta omitted: LlamaConfig default");
        assertEquals("silu", t.hiddenAct());
        assertEquals(OptionalInt.of(1), t.bosTokenId(), "bos omitted: LlamaConfig default 1");
        assertEquals(List.of(2), t.eosTokenIds());
        assertFalse(t.tieWordEmbeddings());
        ClipVisionConfig v = c.visionConfig();
        assertEquals("quick_gelu", v.hiddenAct(), "CLIP default activation");
        assertEquals(1e-5, v.layerNormEps());
        assertEquals(3, v.numChannels());
        assertEquals(64, v.hiddenSize());
        assertEquals(3, v.numHiddenLayers());
        assertEquals(16, v.numPatches());
        assertEquals(List.of(-2), c.visionFeatureLayers());
        assertEquals(List.of(2), c.resolvedFeatureLayers());
        assertEquals("default", c.visionFeatureSelectStrategy());
        assertEquals("gelu", c.projectorHiddenAct());
        assertEquals(511, c.imageTokenIndex());
        assertEquals(16, c.imageSeqLength());
        assertTrue(c.multimodalProjectorBias());
    }

    @Test
    void llavaShapesFixtureTiesTextEmbeddings() {
        LlavaConfig c = assertInstanceOf(LlavaConfig.class, ModelConfig.load(fixture("llava-shapes")));
        assertTrue(c.textConfig().tieWordEmbeddings());
        assertEquals(50259, c.textConfig().vocabSize());
        assertEquals(32, c.textConfig().headDim());
        assertEquals(4, c.textConfig().numKeyValueHeads());
        assertEquals(List.of(50256), c.textConfig().eosTokenIds());
        assertEquals(1e-6, new ClipVisionConfig(96, 384, 96, 4, 4, 3, 48, 12, "quick_gelu", 1e-6).layerNormEps());
        assertEquals(16, c.visionConfig().numPatches());
    }

    @Test
    void idefics3Fixture() {
        Idefics3Config c = assertInstanceOf(Idefics3Config.class, ModelConfig.load(fixture("idefics3")));
        assertEquals(2, c.scaleFactor());
        assertEquals(500, c.imageTokenId());
        SiglipVisionConfig v = c.visionConfig();
        assertEquals("gelu_pytorch_tanh", v.hiddenAct());
        assertEquals(1e-6, v.layerNormEps());
        assertEquals(3, v.numChannels());
        assertEquals(8, v.patchSize());
        assertEquals(8, v.patchesPerSide());
        assertEquals(16, c.imageSeqLength());
        assertEquals(256, c.connectorInputDim());
        TextDecoderConfig t = c.textConfig();
        assertEquals(100000.0, t.ropeTheta());
        assertEquals(512, t.vocabSize());
        assertEquals(OptionalInt.of(1), t.bosTokenId());
    }

    @Test
    void qwen2vlFixture() {
        Qwen2VLConfig c = assertInstanceOf(Qwen2VLConfig.class, ModelConfig.load(fixture("qwen2vl")));
        TextDecoderConfig t = c.textConfig();
        assertEquals("qwen2_vl", t.modelType());
        assertEquals(List.of(2, 3, 3), t.ropeScaling().orElseThrow().mropeSection());
        assertEquals("default", t.ropeScaling().orElseThrow().ropeType());
        assertEquals(1e6, t.ropeTheta());
        assertEquals(1e-6, t.rmsNormEps());
        assertTrue(t.qkvBias());
        assertFalse(t.outputBias());
        assertTrue(t.tieWordEmbeddings());
        assertEquals(Optional.empty(), t.slidingWindow(), "use_sliding_window false");
        assertEquals(List.of(501), t.eosTokenIds());
        assertEquals(OptionalInt.empty(), t.padTokenId());
        Qwen2VLVisionConfig v = c.visionConfig();
        assertEquals(14, v.patchSize());
        assertEquals(2, v.spatialMergeSize());
        assertEquals(2, v.temporalPatchSize());
        assertEquals(3, v.inChannels());
        assertEquals("quick_gelu", v.hiddenAct());
        assertEquals(128, v.mlpHiddenDim());
        assertEquals(16, v.headDim());
        assertEquals(256, v.mergerInputDim());
        assertEquals(505, c.imageTokenId());
        assertEquals(506, c.videoTokenId());
        assertEquals(502, c.visionStartTokenId());
        assertEquals(OptionalInt.of(503), c.visionEndTokenId());
    }

    @Test
    void generationConfigFixtures() {
        GenerationConfig g = GenerationConfig.find(fixture("qwen2vl")).orElseThrow();
        assertEquals(OptionalInt.of(507), g.bosTokenId());
        assertEquals(List.of(501), g.eosTokenIds());
        assertEquals(OptionalInt.empty(), g.padTokenId());
        assertFalse(g.doSample());
        assertEquals(50, g.topK());
        assertEquals(1.0, g.topP());
        assertEquals(20, g.maxLength());
        assertEquals(OptionalInt.of(0), GenerationConfig.find(fixture("llama")).orElseThrow().padTokenId());
        assertEquals(Optional.empty(), GenerationConfig.find(tmp));
        GenerationConfig list = GenerationConfig.fromJson(Json.parseObject(
                "{\"eos_token_id\": [1, 2], \"do_sample\": true, \"temperature\": 0.7, \"max_new_tokens\": 8}",
                "generation_config.json"));
        assertEquals(List.of(1, 2), list.eosTokenIds());
        assertEquals(OptionalInt.of(8), list.maxNewTokens());
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> GenerationConfig.fromJson(
                Json.parseObject("{\"top_p\": 1.5}", "generation_config.json")));
        assertEquals("generation_config.json: field \"top_p\": must be in [0, 1], found 1.5", e.getMessage());
    }

    @Test
    void llamaDefaultsWhenOmitted() {
        TextDecoderConfig c = (TextDecoderConfig) parse("{\"model_type\": \"llama\", \"hidden_size\": 64,"
                + " \"num_attention_heads\": 4}");
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(4, c.numKeyValueHeads(), "kv heads default to num_attention_heads");
        assertEquals(16, c.headDim(), "head_dim defaults to hidden / heads");
        assertEquals(32000, c.vocabSize());
        assertEquals(2048, c.maxPositionEmbeddings());
        TextDecoderConfig nulls = (TextDecoderConfig) parse("{\"model_type\": \"llama\", \"hidden_size\": 64,"
                + " \"num_attention_heads\": 4, \"num_key_value_heads\": null, \"head_dim\": null, \"rope_scaling\": null,"
                + " \"eos_token_id\": [2, 3], \"bos_token_id\": null, \"attention_bias\": true}");
        assertEquals(4, nulls.numKeyValueHeads());
        assertEquals(List.of(2, 3), nulls.eosTokenIds());
        assertEquals(OptionalInt.empty(), nulls.bosTokenId());
        assertTrue(nulls.qkvBias() && nulls.outputBias());
    }

    @Test
    void mistralAndQwen2Defaults() {
        TextDecoderConfig m = (TextDecoderConfig) parse("{\"architectures\": [\"MistralForCausalLM\"]}");
        assertEquals("mistral", m.modelType());
        assertEquals(8, m.numKeyValueHeads());
        assertEquals(128, m.headDim());
        assertEquals(131072, m.maxPositionEmbeddings());
        assertEquals(Optional.of(new SlidingWindow(4096, 0)), m.slidingWindow());
        TextDecoderConfig noWindow = (TextDecoderConfig) parse("{\"model_type\": \"mistral\", \"sliding_window\": null}");
        assertEquals(Optional.empty(), noWindow.slidingWindow());

        TextDecoderConfig q = (TextDecoderConfig) parse("{\"model_type\": \"qwen2\", \"hidden_size\": 64,"
                + " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"use_sliding_window\": true}");
        assertEquals(151936, q.vocabSize());
        assertTrue(q.qkvBias());
        assertFalse(q.outputBias());
        assertEquals(OptionalInt.empty(), q.bosTokenId());
        assertEquals(List.of(), q.eosTokenIds());
        assertEquals(Optional.of(new SlidingWindow(4096, 28)), q.slidingWindow());
        rejects("{\"model_type\": \"qwen2\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"head_dim\": 32}",
                "config.json: field \"head_dim\"", "ignores head_dim", "= 16");
    }

    @Test
    void ropeScalingForms() {
        TextDecoderConfig l3 = (TextDecoderConfig) parse("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\":"
                + " \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}}");
        RopeScaling r = l3.ropeScaling().orElseThrow();
        assertEquals("llama3", r.ropeType());
        assertEquals(8.0, r.factor());
        assertEquals(OptionalInt.of(8192), r.originalMaxPositionEmbeddings());
        TextDecoderConfig linear = (TextDecoderConfig) parse("{\"model_type\": \"llama\", \"rope_scaling\":"
                + " {\"type\": \"linear\", \"factor\": 2}}");
        assertEquals("linear", linear.ropeScaling().orElseThrow().ropeType());
        rejects("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}",
                "config.json: field \"rope_scaling.low_freq_factor\": is required for llama3 RoPE");
        rejects("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}}",
                "field \"rope_scaling.type\"", "unsupported RoPE type \"yarn\"", "llama3");
        rejects("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"dynamic\"}}",
                "field \"rope_scaling.factor\": is required for dynamic RoPE");
    }

    @Test
    void qwen2vlAcceptsBothMropeSpellings() throws IOException {
        String base = Files.readString(fixture("qwen2vl").resolve("config.json"));
        String published = base.replace("\"rope_type\": \"default\",\n    \"type\": \"default\"", "\"type\": \"mrope\"");
        assertTrue(published.contains("\"mrope\""), "the edit applied");
        Qwen2VLConfig c = (Qwen2VLConfig) parse(published);
        assertEquals("default", c.textConfig().ropeScaling().orElseThrow().ropeType());
        assertEquals(List.of(2, 3, 3), c.textConfig().ropeScaling().orElseThrow().mropeSection());
        rejects(base.replace("\"mrope_section\": [\n      2,\n      3,\n      3\n    ],", "\"mrope_section\": [2, 3, 4],"),
                "config.json: field \"rope_scaling.mrope_section\": [2, 3, 4] sums to 9 but must sum to head_dim / 2 = 8");
        rejects(base.replace("\"image_token_id\": 505,", ""),
                "config.json: field \"image_token_id\" is missing; expected an integer");
        rejects(base.replace("\"embed_dim\": 64,", "\"embed_dim\": 64, \"in_chans\": 3, \"in_channels\": 1,"),
                "field \"vision_config.in_chans\": = 3 disagrees with in_channels = 1");
    }

    @Test
    void constructorsValidateAndLoadersNameFileAndField() throws IOException {
        rejects("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": 3}",
                "config.json: field \"num_key_value_heads\": = 3 must divide num_attention_heads = 4");
        rejects("{\"model_type\": \"llama\", \"hidden_size\": 60, \"num_attention_heads\": 8}",
                "field \"num_attention_heads\": = 8 must divide hidden_size = 60 when head_dim is not given");
        TextDecoderConfig headDimGiven = (TextDecoderConfig) parse("{\"model_type\": \"llama\", \"hidden_size\": 60,"
                + " \"num_attention_heads\": 8, \"head_dim\": 16}");
        assertEquals(16, headDimGiven.headDim());
        rejects("{\"model_type\": \"llava\", \"text_config\": {\"vocab_size\": -5}}",
                "config.json: field \"text_config.vocab_size\": must be positive, found -5");
        rejects("{\"model_type\": \"llava\", \"vision_config\": {\"hidden_size\": \"64\"}}",
                "field \"vision_config.hidden_size\": expected an integer, found the string \"64\"");
        rejects("{\"model_type\": \"llava\", \"vision_feature_layer\": -30}",
                "field \"vision_feature_layer\": = -30 is outside the 25 hidden states");
        rejects("{\"model_type\": \"llava\", \"vision_feature_select_strategy\": \"cls\"}",
                "field \"vision_feature_select_strategy\"", "\"cls\"");
        rejects("{\"model_type\": \"idefics3\", \"scale_factor\": 3}",
                "field \"scale_factor\": = 3 must divide the 7 patches per side");
        rejects("{\"model_type\": \"gpt2\"}", "config.json: field \"model_type\": unsupported model type \"gpt2\"",
                "llava", "qwen2_vl");
        rejects("{\"architectures\": [\"GPT2LMHeadModel\"]}", "unsupported architecture \"GPT2LMHeadModel\"");
        rejects("{}", "field \"model_type\" is missing");
        assertThrows(ConfigFieldException.class, () -> new ClipVisionConfig(64, 1, 1, 1, 3, 3, 14, 14, "gelu", 1e-5));

        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\",\n \"num_hidden_layers\": 0}");
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> ModelConfig.load(dir));
        assertEquals(dir.resolve("config.json") + ": field \"num_hidden_layers\": must be positive, found 0",
                e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\",\n \"num_hidden_layers\": 2,}");
        e = assertThrows(WeightsFormatException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ":2:25: trailing comma"), e.getMessage());
        e = assertThrows(WeightsFormatException.class, () -> ModelConfig.load(tmp.resolve("none")));
        assertTrue(e.getMessage().endsWith("config.json: no such file"), e.getMessage());
    }

    @Test
    void defaultsForAbsentSubConfigs() {
        LlavaConfig l = (LlavaConfig) parse("{\"model_type\": \"llava\"}");
        assertEquals(ClipVisionConfig.LLAVA_DEFAULT, l.visionConfig());
        assertEquals(336, l.visionConfig().imageSize());
        assertEquals(4096, l.textConfig().hiddenSize());
        assertEquals(32000, l.imageTokenIndex());
        assertEquals(576, l.imageSeqLength());
        // transformers' own Idefics3 defaults (image 224, patch 32: 7 patches a side) cannot be
        // pixel-shuffled by 2; the check catches it. With 256 pixels the other defaults apply.
        rejects("{\"model_type\": \"idefics3\"}", "field \"scale_factor\": = 2 must divide the 7 patches per side");
        Idefics3Config i = (Idefics3Config) parse("{\"model_type\": \"idefics3\", \"vision_config\": {\"image_size\": 256}}");
        assertEquals(1152, i.visionConfig().hiddenSize());
        assertEquals(32, i.visionConfig().patchSize());
        assertEquals(1e-5, i.textConfig().rmsNormEps());
        assertEquals(OptionalInt.of(128002), i.textConfig().padTokenId());
        assertEquals(128257, i.imageTokenId());
        SiglipVisionConfig s = SiglipVisionConfig.fromSiglipJson(Json.parseObject("{}", "config.json"));
        assertEquals(768, s.hiddenSize());
        assertEquals(16, s.patchSize());
        assertEquals("siglip_vision_model", s.modelType());
    }
}
