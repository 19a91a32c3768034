package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.generate.Greedy;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llava-shapes through the library API the eval command uses: {@link LlavaPrompt} gives every
 * eval row's input_ids from its prompt, and {@link LlavaModel#prefill} then {@code step()}
 * reproduce transformers' greedy answers.
 */
class LlavaShapesTest {
    static final Path DIR = Fixtures.model("llava-shapes");

    static LlavaConfig config() {
        return (LlavaConfig) ModelConfig.load(DIR);
    }

    static List<JsonObject> rows(String split) throws IOException {
        List<JsonObject> rows = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve(split).resolve("prompts.jsonl"))) {
            rows.add(Json.parseObject(line, split + "/prompts.jsonl"));
        }
        return rows;
    }

    static int[] ints(JsonObject o, String key) {
        return o.requireArray(key).elements().stream().mapToInt(v -> ((JsonNumber) v).intValueExact().orElseThrow()).toArray();
    }

    @Test
    void everyEvalPromptTokenizesToItsInputIds() throws IOException {
        LlavaPrompt prompt = LlavaPrompt.load(DIR, config(), Tokenizer.load(DIR));
        assertEquals(16, prompt.tokensPerImage());
        int checked = 0;
        for (String split : List.of("eval", "eval_single")) {
            for (JsonObject row : rows(split)) {
                int images = row.requireInt("n_images");
                assertArrayEquals(ints(row, "input_ids"), prompt.encode(row.requireString("prompt"), images), row.requireString("id"));
                String question = row.requireString("question");
                assertEquals(row.requireString("prompt"), prompt.layout(question, images), row.requireString("id") + " layout");
                checked++;
            }
        }
        assertEquals(260, checked);
    }

    @Test
    void placeholdersThatDoNotMatchTheImagesAreAnError() {
        LlavaPrompt prompt = LlavaPrompt.load(DIR, config(), Tokenizer.load(DIR));
        var e = assertThrows(IllegalArgumentException.class, () -> prompt.encode("USER: Image 1: <image>\nWhat? ASSISTANT:", 2));
        assertTrue(e.getMessage().contains("1 <image> placeholder and 2 images"), e.getMessage());
    }

    /** Golden cases 0 and 1 are eval rows public-022 and public-009: their pixel_values, then greedy to EOS. */
    @Test
    void prefillAndStepReproduceTheReferenceAnswers() throws IOException {
        List<JsonObject> eval = rows("eval");
        try (Checkpoint checkpoint = Checkpoint.open(DIR); WorkerPool pool = WorkerPool.create(2);
             SafetensorsFile goldens = SafetensorsFile.open(DIR.resolve("goldens.safetensors"))) {
            LlavaConfig config = config();
            LlavaModel model = LlavaModel.load(checkpoint, config, pool);
            LlavaPrompt prompt = LlavaPrompt.load(DIR, config, Tokenizer.load(DIR));
            for (var c : List.of(new String[] {"case0.", "public-022"}, new String[] {"case1.", "public-009"})) {
                JsonObject row = eval.stream().filter(r -> r.requireString("id").equals(c[1])).findFirst().orElseThrow();
                int images = row.requireInt("n_images");
                int[] ids = prompt.encode(row.requireString("prompt"), images);
                float[] pixels = goldens.require(c[0] + "pixel_values").toFloatArray();
                PreparedPrompt prepared = model.prepare(PromptInput.ids(ids).withPixels(pixelValues(pixels, images, config)), Trace.NONE);
                int vision = 0;
                for (Modality m : prepared.modality()) if (m == Modality.VISION) vision++;
                assertEquals(images * 16, vision, "vision positions");
                assertArrayEquals(ints(row.requireObject("fp32"), "generated_ids"),
                        greedy(model.prefill(prepared, KvCacheSettings.defaults(KvMode.FP32), Trace.NONE)), c[1]);
            }
        }
    }

    /** Decoded PNGs through the model's preprocessor_config.json, then prefill and step: a few rows of each split, exactly. */
    @Test
    void decodedImagesGiveTheReferenceAnswersOfSeveralRows() throws IOException {
        try (Checkpoint checkpoint = Checkpoint.open(DIR); WorkerPool pool = WorkerPool.create(2)) {
            LlavaConfig config = config();
            LlavaModel model = LlavaModel.load(checkpoint, config, pool);
            LlavaPrompt prompt = LlavaPrompt.load(DIR, config, Tokenizer.load(DIR));
            ImageProcessor processor = ImageProcessor.load(DIR);
            int checked = 0;
            for (String split : List.of("eval", "eval_single")) {
                List<JsonObject> rows = rows(split);
                for (int index : new int[] {0, 1, rows.size() - 1}) {
                    JsonObject row = rows.get(index);
                    List<DecodedImage> images = row.requireArray("images").elements().stream()
                            .map(v -> ImageDecoder.decode(DIR.resolve(split).resolve(((JsonString) v).value()))).toList();
                    int[] ids = prompt.encode(row.requireString("prompt"), images.size());
                    TokenSequence p = model.prefill(PromptInput.ids(ids).withImages(images), KvCacheSettings.defaults(KvMode.FP32), Trace.NONE);
                    assertArrayEquals(ints(row.requireObject("fp32"), "generated_ids"), greedy(p), split + " " + row.requireString("id"));
                    checked++;
                }
            }
            assertEquals(6, checked);
        }
    }

    /** {@code akvq run} with row 0's images and question prints the reference reply. */
    @Test
    void akvqRunAnswersEvalRowZeroAsTransformers() throws IOException {
        JsonObject row = rows("eval").get(0);
        List<String> args = new ArrayList<>(List.of("run", "--model", DIR.toString(), "--prompt", row.requireString("question"),
                "--threads", "2"));
        for (var v : row.requireArray("images").elements()) {
            args.addAll(List.of("--image", DIR.resolve("eval").resolve(((JsonString) v).value()).toString()));
        }
        Cli.Result r = Cli.akvq(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        assertEquals(row.requireObject("fp32").requireString("generated_text") + "\n", r.out());
    }

    @Test
    void akvqRunRefusesMoreImagesThanThePromptHasSlots() {
        String png = DIR.resolve("eval_single/images/041.png").toString();
        Cli.Result r = Cli.akvq("run", "--model", DIR.toString(), "--prompt", "USER: <image>\nWhat color is the circle? ASSISTANT:",
                "--image", png, "--image", png);
        assertEquals(1, r.status(), r.err());
        assertEquals("akvq run: error: the prompt has 1 <image> placeholder and 2 images were given; expected one <image> per image",
                r.errorLine());
    }

    /** LLaVA pixel_values {@code [images, C, S, S]} as the image processor gives them. */
    static ProcessedImages pixelValues(float[] pixels, int images, LlavaConfig config) {
        var v = config.visionConfig();
        return new ProcessedImages(pixels, new long[] {images, v.numChannels(), v.imageSize(), v.imageSize()}, List.of());
    }

    /** Greedy to EOS (50256) or 12 new tokens, as the reference generate() ran. */
    static int[] greedy(TokenSequence p) {
        List<Integer> generated = new ArrayList<>();
        float[] logits = p.logits();
        for (int s = 0; s < 12; s++) {
            int next = Greedy.argmax(logits);
            generated.add(next);
            if (next == 50256) break;
            logits = p.step(next);
        }
        return generated.stream().mapToInt(Integer::intValue).toArray();
    }
}
