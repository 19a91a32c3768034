package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.template.ChatTemplate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code akvq run --chat} and {@code run --prompt} with a model's chat template, on the VLM
 * fixtures with a published template added: llava-shapes (a trained LLaVA-1.5 with its GPT-2
 * tokenizer) with llava-1.5's template, and the tiny Qwen2-VL and Idefics3 checkpoints with
 * Qwen2-VL's and SmolVLM's templates and a byte-level tokenizer holding their special tokens.
 */
class ChatCommandTest {
    private static final Path TEMPLATES = Fixtures.root().resolve("../../../../../template/src/test/resources/chat_templates").normalize();

    /** llava-shapes plus llava-1.5's chat_template.json. */
    private static Path llavaShapesWithTemplate(Path tmp) throws IOException {
        Path src = Fixtures.model("llava-shapes"), dir = Files.createDirectories(tmp.resolve("llava-shapes"));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json",
                "processor_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Files.copy(TEMPLATES.resolve("llava-1.5-7b-hf/chat_template.json"), dir.resolve("chat_template.json"));
        return dir;
    }

    private static Path image(String name) {
        return Fixtures.model("llava-shapes").resolve("eval_single/images").resolve(name);
    }

    /** Runs one command line with {@code stdin} as standard input. */
    static Cli.Result withInput(String stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return Cli.akvq(args);
        } finally {
            System.setIn(saved);
        }
    }

    /**
     * Two turns: the second extends the cached conversation, so its tokens are fed onto the
     * kept KV cache; its reply must equal a fresh prefill of the whole rendered conversation.
     */
    @Test
    void aSecondTurnReusesTheCacheAndAnswersAsAFullPrefill(@TempDir Path tmp) throws IOException {
        Path dir = llavaShapesWithTemplate(tmp);
        String img = image("041.png").toString();
        Cli.Result chat = withInput("What color is the triangle?\nWhat shape is red?\n", "run", "--model", dir.toString(), "--chat",
                "--image", img, "--max-new-tokens", "8", "--threads", "2");
        assertEquals(0, chat.status(), chat.err());
        String[] replies = chat.out().split("\n");
        assertEquals(2, replies.length, chat.out());
        assertTrue(chat.err().contains("reusing the KV cache of"), chat.err());

        ChatTemplate template = ChatTemplate.find(dir, LocalDateTime::now).orElseThrow();
        String conversation = template.render(List.of(
                Map.of("role", "user", "content", List.of(Map.of("type", "image"), Map.of("type", "text", "text", "What color is the triangle?"))),
                Map.of("role", "assistant", "content", List.of(Map.of("type", "text", "text", replies[0].strip()))),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "What shape is red?")))), true, Map.of());
        Cli.Result full = Cli.akvq("run", "--model", dir.toString(), "--image", img, "--no-template", "--prompt", conversation,
                "--max-new-tokens", "8", "--threads", "2");
        assertEquals(0, full.status(), full.err());
        assertEquals(replies[1] + "\n", full.out());
    }

    @Test
    void aNewImagePrefillsAgainAndResetClears(@TempDir Path tmp) throws IOException {
        Path dir = llavaShapesWithTemplate(tmp);
        Cli.Result chat = withInput("What color is the triangle?\n/image " + image("042.png") + "\nAnd here?\n/image /no/such.png\n/reset\nHi\n/exit\nnot read\n",
                "run", "--model", dir.toString(), "--chat", "--image", image("041.png").toString(), "--max-new-tokens", "4", "--threads", "2");
        assertEquals(0, chat.status(), chat.err());
        assertEquals(3, chat.out().split("\n").length, chat.out());
        assertTrue(chat.err().contains("a new image goes through the vision tower"), chat.err());
        assertTrue(chat.err().contains("/no/such.png is not a file"), chat.err());
        assertTrue(chat.err().contains("conversation cleared"), chat.err());
    }

    @Test
    void promptUsesTheTemplateAndSaysSo(@TempDir Path tmp) throws IOException {
        Path dir = llavaShapesWithTemplate(tmp);
        String img = image("041.png").toString();
        Cli.Result templated = Cli.akvq("run", "--model", dir.toString(), "--image", img, "--prompt", "What color is the triangle?",
                "--max-new-tokens", "6", "--threads", "2");
        assertEquals(0, templated.status(), templated.err());
        assertTrue(templated.err().contains("laid out by the model's chat template (chat_template.json)"), templated.err());
        // The same prompt written out as the template renders it, taken as written, gives the same text.
        Cli.Result written = Cli.akvq("run", "--model", dir.toString(), "--image", img, "--no-template", "--prompt",
                "USER: <image>\nWhat color is the triangle? ASSISTANT:", "--max-new-tokens", "6", "--threads", "2");
        assertEquals(templated.out(), written.out());
        assertTrue(written.err().contains("family's processor"), written.err());
    }

    @Test
    void chatNeedsATemplate() {
        Cli.Result r = withInput("hi\n", "run", "--model", Fixtures.model("llava-shapes").toString(), "--chat");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("no chat template"), r.err());
        Cli.Result both = Cli.akvq("run", "--model", Fixtures.model("llava-shapes").toString(), "--chat", "--prompt", "x");
        assertEquals(2, both.status());
    }

    /**
     * A byte-level tokenizer.json for a tiny fixture: GPT-2's 256 byte symbols at ids 0-255,
     * unreachable fillers above, and the goldens' special tokens as added tokens at their ids.
     */
    private static void writeByteTokenizer(Path dir, Map<String, Integer> special, int vocabSize) throws IOException {
        String[] alphabet = RunCommandTest.byteAlphabet();
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < vocabSize; i++) {
            if (special.containsValue(i)) continue;
            String token = i < 256 ? alphabet[i] : "~" + i;
            vocab.append(vocab.length() == 1 ? "" : ",").append('"').append(token.replace("\\", "\\\\").replace("\"", "\\\"")).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        special.forEach((content, id) -> added.append(added.isEmpty() ? "" : ",").append("{\"id\": ").append(id)
                .append(", \"content\": \"").append(content.replace("\n", "\\n")).append("\", \"special\": ")
                .append(!content.equals("\n")).append(", \"normalized\": false}"));
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"added_tokens": [%s], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": null, "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "unk_token": null, "fuse_unk": false, "byte_fallback": false, "vocab": %s, "merges": []}}
                """.formatted(added, vocab.append('}')));
    }

    private static Map<String, Integer> specialTokens(String model) {
        var tokens = dev.akvq.weights.json.Json.readObjectFile(Fixtures.model(model).resolve("goldens.json")).requireObject("special_tokens");
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (String k : tokens.keys()) out.put(k, tokens.requireInt(k));
        return out;
    }

    /** The tiny Qwen2-VL and Idefics3 checkpoints chat over two turns with their published templates. */
    @Test
    void tinyQwen2VLAndIdefics3Chat(@TempDir Path tmp) throws IOException {
        for (String[] m : new String[][] {{"qwen2vl", "Qwen2-VL-2B-Instruct"}, {"idefics3", "SmolVLM-Instruct"}}) {
            Path dir = LetterTokenizer.copyModel(m[0], tmp);
            writeByteTokenizer(dir, specialTokens(m[0]), 512);
            Files.copy(TEMPLATES.resolve(m[1]).resolve("chat_template.json"), dir.resolve("chat_template.json"));
            Path img = Fixtures.model(m[0]).resolve("image.png");
            Cli.Result chat = withInput("Describe it.\nMore?\n", "run", "--model", dir.toString(), "--chat", "--image", img.toString(),
                    "--max-new-tokens", "3", "--threads", "2");
            assertEquals(0, chat.status(), m[0] + ": " + chat.err());
            assertEquals(2, chat.out().split("\n", -1).length - 1, m[0] + ": " + chat.out());
            assertTrue(chat.err().contains("Template: chat_template.json"), chat.err());
        }
    }
}
