package dev.akvq.cli;

import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.Trace;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.model.llava.LlavaPrompt;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.LlavaConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code akvq run} on a LLaVA checkpoint: the prompt is laid out as LLaVA-1.5's
 * ({@code USER: Image 1: <image>\n... {prompt} ASSISTANT:}, or taken as written when it already
 * holds {@code <image>}), each image is preprocessed with the model's preprocessor_config.json,
 * and the answer streams as text.
 */
final class LlavaRun {
    private LlavaRun() {}

    static int run(Flags flags, Path dir, LlavaConfig config, Sampler sampler, PrintStream out, PrintStream err) {
        List<Path> imageFiles = flags.all("image").stream().map(Path::of).toList();
        for (Path f : imageFiles) {
            if (!Files.isRegularFile(f)) throw new UsageException("--image: " + f + " is not a file");
        }
        if (!flags.has("prompt")) throw new UsageException("a LLaVA model needs --prompt TEXT (the question)");
        if (!Files.exists(dir.resolve("tokenizer.json"))) throw new UsageException("--prompt needs " + dir.resolve("tokenizer.json"));
        Tokenizer tokenizer = Tokenizer.load(dir);
        LlavaPrompt prompt = LlavaPrompt.load(dir, config, tokenizer);
        String question = flags.require("prompt");
        String text = prompt.slots(question) > 0 ? question : prompt.layout(question, imageFiles.size());
        int[] ids = prompt.encode(text, imageFiles.size());      // checks placeholders against the images first
        KvCacheSettings settings = KvFlags.parse(flags, dir);
        KvMode mode = settings.mode();
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
        int maxNew = flags.positiveInt("max-new-tokens", generation.maxNewTokens().orElse(128));
        StopCondition stop = StopCondition.of(generation.eosTokenIds().isEmpty() ? config.textConfig().eosTokenIds()
                : generation.eosTokenIds(), maxNew);

        float[] pixels = LlavaImages.pixelValues(dir, imageFiles, config);
        try (Checkpoint checkpoint = Checkpoint.open(dir); WorkerPool pool = WorkerPool.create(threads)) {
            long loadStart = System.nanoTime();
            LlavaModel model = LlavaModel.load(checkpoint, config, pool);
            err.printf("akvq run: %s loaded in %.2f s (%d threads, --kv %s)%n", dir, (System.nanoTime() - loadStart) / 1e9,
                    threads, mode.flag());
            long prefillStart = System.nanoTime();
            LlavaModel.Prefilled prefilled = model.prefill(ids, pixels, imageFiles.size(), settings, Trace.NONE);
            float[] logits = prefilled.lastLogits();
            long decodeStart = System.nanoTime();
            TextStream textOut = new TextStream(tokenizer, out);
            int generated = 0;
            while (true) {
                int token = sampler.next(logits);
                textOut.add(token);
                generated++;
                if (stop.isEos(token) || generated >= stop.maxNewTokens()) break;
                logits = prefilled.sequence().step(token);
            }
            textOut.finish();
            long end = System.nanoTime();
            double prefillSeconds = (decodeStart - prefillStart) / 1e9, decodeSeconds = (end - decodeStart) / 1e9;
            long kvBytes = prefilled.sequence().cache().stream().mapToLong(KeyValueStore::bytes).sum();
            err.printf("akvq run: %d images, prompt %d tokens (%d image tokens) in %.3f s, vision tower included;"
                            + " generated %d tokens in %.3f s (%.1f tok/s); KV cache %s%n",
                    imageFiles.size(), ids.length, imageFiles.size() * model.tokensPerImage(), prefillSeconds, generated,
                    decodeSeconds, generated / decodeSeconds, InspectCommand.bytes(kvBytes));
            if (flags.has("kv-stats")) KvFlags.printStats(prefilled.sequence().cache(), settings, err);
            return 0;
        }
    }
}
