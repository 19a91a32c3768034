package dev.akvq.cli;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.Decoding;
import dev.akvq.model.generate.NonFiniteLogitsException;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import dev.akvq.tokenizer.StreamingDecoder;
import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.template.ChatTemplate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Optional;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code akvq run}: generates from a prompt and streams each token as it is produced (ids to
 * stdout; timings, speed and memory to stderr). Ctrl-C stops after the current token and still
 * prints the statistics.
 */
final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "generate from a prompt, streamed token by token";
    }

    @Override
    public String help() {
        return """
                akvq run: generate from a prompt, streamed token by token

                Usage: akvq run --model DIR (--prompt-ids IDS | --prompt TEXT | --chat) [--image FILE]... [--no-template]
                                [--kv MODE] [--kv-... settings] [--kv-stats] [--max-new-tokens N] [--temperature T] [--top-k K]
                                [--top-p P] [--seed S] [--threads N]

                Streams the generated text (with --prompt, encoded and decoded with DIR/tokenizer.json)
                or token ids (with --prompt-ids) to stdout as it is produced; progress, tokens/s and
                memory go to stderr. Stops at an EOS id of generation_config.json or after
                --max-new-tokens. Sampling defaults come from generation_config.json (greedy when
                it does not sample); --temperature 0 forces greedy.
                In this build: text decoders (llama, mistral, qwen2), llava, idefics3 (SmolVLM) and
                qwen2_vl. For idefics3, each --image goes through DIR/preprocessor_config.json and
                replaces one <image> in the prompt, expanded as Idefics3Processor does (with no
                <image> in the prompt, one per image is put in front); --prompt-ids must then be
                expanded already.
                For llava, --prompt is the question, laid out as LLaVA-1.5's
                "USER: Image 1: <image>\\n... {prompt} ASSISTANT:" with one <image> per --image (or
                taken as written when it holds <image>), each expanded as LlavaProcessor does.
                For qwen2_vl, --prompt is the user's text, laid out with Qwen2-VL-Instruct's chat template
                (default system turn, the images then the text in one user turn, the generation prompt),
                or taken as written when it holds <|image_pad|> (one per --image); each pad is expanded
                to its image's t*h*w/merge^2 tokens as Qwen2VLProcessor does.
                Stages print as they happen (load, image decoding, preprocessing and vision tower); the
                summary times each and gives the finish reason: stop (EOS), length (--max-new-tokens, or
                the model's context, which also caps --max-new-tokens with a note) or Ctrl-C.
                When the model has a chat template (chat_template.jinja, chat_template.json or
                tokenizer_config.json's chat_template), --prompt becomes one user message (after its
                images) rendered with it and the generation prompt, as transformers' apply_chat_template
                does; stderr says which layout was used. --no-template, or a prompt that holds an image
                marker (<image>, <|image_pad|>), keeps the family's layout above.
                --chat: a conversation on stdin, one message per line, each reply streamed as one line;
                /image PATH attaches an image to the next message, /reset clears the history, /exit
                or end of input quits. Needs a chat template. The KV cache carries over between turns
                when the rendered conversation extends what it holds; otherwise the conversation is
                prefilled again (stderr says so).

                Options:
                  --model DIR          a Hugging Face model directory
                  --prompt TEXT        the prompt, encoded with special tokens (e.g. BOS)
                  --prompt-ids IDS     comma-separated token ids, e.g. 1,450,4996
                  --chat               an interactive conversation on stdin (see above)
                  --no-template        lay --prompt out as the family does, ignoring a chat template
                  --max-new-tokens N   default: generation_config's max_new_tokens, else 128
                  --temperature T      0 = greedy; > 0 samples
                  --top-k K            keep the K most likely tokens (0 = all)
                  --top-p P            nucleus sampling threshold in (0, 1]
                  --seed S             random seed for sampling (default 0)
                  --threads N          worker threads (default: all cores)
                  --allow-unused-weights  run although the checkpoint holds tensors the architecture does not read
                """ + KvFlags.HELP + """

                Examples:
                  akvq run --model tests/src/test/resources/fixtures/models/llama --prompt-ids 1,20,30,40
                  akvq run --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --image tests/src/test/resources/fixtures/models/llava-shapes/eval_single/images/041.png \\
                      --prompt "What color is the triangle?"
                  akvq run --model ~/models/SmolLM2-360M-Instruct --prompt "Once upon a time" --temperature 0.7 --top-p 0.9 --seed 7
                  akvq run --model ~/models/Qwen2-VL-2B-Instruct --chat --image photo.jpg
                  printf 'Describe the image.\\nAnd the colours?\\n' | akvq run --model ~/models/SmolVLM-Instruct --chat --image photo.jpg
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, KvFlags.withValue(Set.of("model", "prompt-ids", "prompt", "image",
                "max-new-tokens", "temperature", "top-k", "top-p", "seed", "threads")), KvFlags.switches(Set.of("allow-unused-weights", "chat", "no-template")));
        Path dir = flags.existingDirectory("model");
        boolean chat = flags.has("chat");
        if ((chat ? 1 : 0) + (flags.has("prompt") ? 1 : 0) + (flags.has("prompt-ids") ? 1 : 0) != 1) {
            throw new UsageException("give one of --prompt TEXT, --prompt-ids IDS or --chat");
        }
        boolean textPrompt = flags.has("prompt") || chat;
        if (textPrompt && !Files.exists(dir.resolve("tokenizer.json"))) {
            throw new UsageException((chat ? "--chat" : "--prompt") + " needs " + dir.resolve("tokenizer.json")
                    + (chat ? "" : "; give --prompt-ids instead"));
        }
        Optional<ChatTemplate> template = flags.has("no-template") || !textPrompt ? Optional.empty()
                : ChatTemplate.find(dir, LocalDateTime::now);
        if (chat && template.isEmpty()) {
            throw new IllegalArgumentException(dir + " has no chat template (chat_template.jinja, chat_template.json or the "
                    + "chat_template of tokenizer_config.json); --chat renders every turn with it");
        }
        String promptText = flags.optional("prompt").orElse("");
        if (template.isPresent() && (promptText.contains("<image>") || promptText.contains("<|image_pad|>"))) template = Optional.empty();
        PromptInput input = flags.has("prompt-ids") ? PromptInput.ids(promptIds(flags.require("prompt-ids"))) : PromptInput.text(promptText);
        KvCacheSettings settings = KvFlags.parse(flags, dir);
        KvFlags.calibrationNote(flags, settings, dir).ifPresent(err::println);
        KvMode mode = settings.mode();
        int threads = flags.threads(err);

        ModelConfig config = ModelConfig.load(dir);
        KvFlags.requireHonoured(flags, settings, config.textConfig().headDim(), dir);
        boolean vision = !(config instanceof TextDecoderConfig);
        if (flags.has("image") && !vision) {
            throw new UsageException("--image needs a vision family (llava, idefics3, qwen2_vl in this build); " + dir + " is "
                    + config.modelType());
        }
        List<Path> images = flags.all("image").stream().map(f -> Flags.existingFile("image", f)).toList();
        TextDecoderConfig text = config.textConfig();
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);
        Sampler sampler = sampler(flags, generation);
        int maxNew = flags.positiveInt("max-new-tokens", generation.maxNewTokens().orElse(128));
        StopCondition stop = StopCondition.of(generation, text, maxNew);

        AtomicBoolean interrupted = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        AtomicBoolean waitingForInput = new AtomicBoolean();   // --chat between turns: nothing to finish, exit at once
        Thread generating = Thread.currentThread();
        Thread onCtrlC = new Thread(() -> {
            interrupted.set(true);
            if (waitingForInput.get()) return;
            generating.interrupt();   // a long prefill or vision tower stops before its next layer (StopRequest)
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        long loadStart = System.nanoTime();
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads, flags.has("allow-unused-weights"))) {
            Tokenizer tokenizer = textPrompt ? model.tokenizer() : null;
            long loaded = System.nanoTime();
            err.printf("akvq run: %s loaded in %.2f s (%d threads, --kv %s)%n", dir, (loaded - loadStart) / 1e9, threads, mode.flag());
            // A one-shot run compiles its decoder's kernels on tiny inputs before the prompt (-Dakvq.noWarmup=true skips it,
            // to measure it); the vision families after preparing the prompt, whose checks run before any weight is read.
            if (!vision) warmUp(model, settings, err);
            if (chat) {
                new ChatSession(model, template.get(), settings, sampler, stop, out, err, interrupted, waitingForInput)
                        .run(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), images);
                return 0;
            }
            String layout = null;
            if (textPrompt) {
                if (template.isPresent()) {
                    String rendered = template.get().render(List.of(TemplatePrompt.message("user", promptText, images.size(),
                            model.takesImages())), true, Map.of());
                    input = TemplatePrompt.input(model, template.get(), rendered, images);
                    layout = "akvq run: prompt laid out by the model's chat template (" + template.get().origin() + ")";
                } else {
                    layout = "akvq run: prompt laid out as the " + config.modelType() + " family's processor does"
                            + (flags.has("no-template") ? " (--no-template)" : " (the model has no chat template, or the prompt holds image markers)");
                }
            }
            // Stages as they happen: decoding (with PIL's quiet clipping said aloud), then preprocessing and the tower.
            long decoded = loaded;
            if (!images.isEmpty()) {
                List<DecodedImage> pixels = images.stream()
                        .map(f -> ImageDecoder.decode(f, warning -> err.println("akvq run: warning: " + warning))).toList();
                decoded = System.nanoTime();
                err.printf("akvq run: %d image%s decoded in %.2f s%n", images.size(), images.size() == 1 ? "" : "s", (decoded - loaded) / 1e9);
                input = input.withImages(pixels);
            }
            PreparedPrompt prompt;
            try {
                prompt = model.prepare(input, Trace.NONE);
            } catch (CancellationException e) {
                return stoppedInPrompt(e, "the images", loadStart, model, err);
            }
            long prepared = System.nanoTime();
            if (!images.isEmpty()) {
                err.printf("akvq run: preprocessing and vision tower in %.2f s: a prompt of %d tokens, %d of them image tokens%n",
                        (prepared - decoded) / 1e9, prompt.tokens(), visionTokens(prompt));
            }
            int newTokens = ContextLimit.maxNewTokens(prompt.tokens(), text.maxPositionEmbeddings(), stop.maxNewTokens(),
                    flags.has("max-new-tokens"), err);
            if (vision) warmUp(model, settings, err);
            long prefillStart = System.nanoTime();
            TokenSequence sequence;
            try {
                sequence = model.prefill(prompt, settings, Trace.NONE);
            } catch (CancellationException e) {
                return stoppedInPrompt(e, "the prompt's " + prompt.tokens() + " tokens", loadStart, model, err);
            }
            if (layout != null) err.println(layout);   // once the prompt is accepted: a refused one gets its one-line error only
            int promptTokens = sequence.promptTokens();
            long decodeStart = System.nanoTime();
            StreamingDecoder textOut = tokenizer == null ? null : tokenizer.streamingDecoder(true);
            int[] count = {0};
            StopCondition capped = new StopCondition(stop.eosTokenIds(), newTokens);
            Decoding.Result result;
            try {
                result = Decoding.run(sequence, sampler, capped, token -> {
                    // Text: "" until a character split across tokens is whole. Ids: space-separated.
                    out.print(textOut != null ? textOut.push(token) : (count[0]++ == 0 ? "" : " ") + token);
                    out.flush();
                }, interrupted::get);
            } catch (NonFiniteLogitsException e) {
                out.println();
                throw NonFiniteLogits.diagnose(e, model, input, settings, dir);
            }
            int generated = result.tokens().length;
            String finish = switch (result.stop()) {
                case EOS -> "stop (end-of-sequence token " + result.tokens()[generated - 1] + ")";
                case MAX_NEW_TOKENS -> newTokens < stop.maxNewTokens() || promptTokens + generated >= text.maxPositionEmbeddings()
                        ? "length (the model's context of " + text.maxPositionEmbeddings() + " tokens is full)"
                        : "length (--max-new-tokens " + newTokens + ")";
                case CANCELLED -> "stopped by Ctrl-C";
            };
            if (textOut != null) out.println(textOut.finish());
            else out.println();
            long end = System.nanoTime();
            double prefillSeconds = (decodeStart - prefillStart) / 1e9, decodeSeconds = (end - decodeStart) / 1e9;
            err.printf("akvq run: load %.2f s; %sprompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens in %.3f s (%.1f tok/s);"
                    + " finish reason: %s%n", (loaded - loadStart) / 1e9,
                    images.isEmpty() ? "" : String.format("images: decoding %.2f s, preprocessing and vision tower %.2f s; ",
                            (decoded - loaded) / 1e9, (prepared - decoded) / 1e9),
                    promptTokens, prefillSeconds, promptTokens / prefillSeconds, generated, decodeSeconds, generated / decodeSeconds, finish);
            err.println("akvq run: " + MemoryLine.of(model.mappedWeightBytes(), sequence.kvBytes(), sequence.length()));
            if (flags.has("kv-stats")) KvFlags.printStats(sequence.cache(), settings, err);
            return 0;
        } finally {
            finished.countDown();
            if (!interrupted.get()) Runtime.getRuntime().removeShutdownHook(onCtrlC);
        }
    }

    private static void warmUp(VisionLanguageModel model, KvCacheSettings settings, PrintStream err) {
        long start = System.nanoTime();
        if (!Boolean.getBoolean("akvq.noWarmup") && model.warmUp(settings)) {
            err.printf("akvq run: kernels compiled in %.2f s%n", (System.nanoTime() - start) / 1e9);
        }
    }

    private static long visionTokens(PreparedPrompt prompt) {
        return java.util.Arrays.stream(prompt.modality()).filter(m -> m == Modality.VISION).count();
    }

    /** Ctrl-C before generation began: what was done, and the memory, then the usual Ctrl-C status. */
    private static int stoppedInPrompt(CancellationException e, String what, long loadStart, VisionLanguageModel model, PrintStream err) {
        err.printf("akvq run: stopped by Ctrl-C while encoding %s (%s) after %.2f s; nothing generated%n", what, e.getMessage(),
                (System.nanoTime() - loadStart) / 1e9);
        err.println("akvq run: " + MemoryLine.of(model.mappedWeightBytes(), 0, 0));
        return 130;
    }

    static int[] promptIds(String text) {
        String[] parts = text.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--prompt-ids expects comma-separated whole numbers; item " + (i + 1)
                        + " is '" + parts[i].trim() + "'");
            }
        }
        return ids;
    }

    /**
     * The sampler the flags and generation_config.json give. Every sampling flag must take effect:
     * --top-k, --top-p or --seed while decoding greedily is refused, as are a fractional or
     * out-of-range --seed or --top-k (a silently truncated seed would be another seed).
     */
    static Sampler sampler(Flags flags, GenerationConfig generation) {
        double temperature = flags.optional("temperature").map(t -> number("temperature", t))
                .orElse(generation.doSample() ? generation.temperature() : 0.0);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new UsageException("--temperature expects a finite number >= 0, got '" + flags.require("temperature") + "'");
        }
        if (temperature == 0) {
            List<String> unused = List.of("top-k", "top-p", "seed").stream().filter(flags::has).map(f -> "--" + f).toList();
            if (!unused.isEmpty()) {
                throw new UsageException(String.join(", ", unused) + (unused.size() == 1 ? " has" : " have") + " no effect when decoding greedily ("
                        + (flags.has("temperature") ? "--temperature 0" : "generation_config.json does not sample") + "); give --temperature T > 0 to sample");
            }
            return Sampler.greedy();
        }
        int topK = flags.optional("top-k").map(k -> (int) wholeNumber("top-k", k, 0, Integer.MAX_VALUE)).orElse(generation.topK());
        double topP = flags.optional("top-p").map(p -> number("top-p", p)).orElse(generation.topP());
        if (flags.has("top-p") && !(topP > 0 && topP <= 1)) throw new UsageException("--top-p expects a number in (0, 1], got '" + flags.require("top-p") + "'");
        long seed = flags.optional("seed").map(s -> wholeNumber("seed", s, Long.MIN_VALUE, Long.MAX_VALUE)).orElse(0L);
        try {
            return Sampler.sampling(temperature, topK, topP, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** A whole number in [min, max], written as one ("7", not "7.0" or "1e3"). */
    private static long wholeNumber(String flag, String text, long min, long max) {
        try {
            long v = Long.parseLong(text.strip());
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + flag + " expects a whole number" + (min == 0 ? " >= 0" : "") + (max == Integer.MAX_VALUE ? " up to " + max : "")
                + ", got '" + text + "'");
    }

    private static double number(String flag, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " expects a number, got '" + text + "'");
        }
    }
}
