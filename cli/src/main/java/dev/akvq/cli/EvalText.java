package dev.akvq.cli;

import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.eval.PromptSetEval;
import dev.akvq.model.eval.TextPerplexity;
import dev.akvq.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code akvq eval --text FILE} (or {@code --text-ids FILE}): perplexity and KL from FP32 of the
 * --kv modes over a long text in strided windows ({@link TextPerplexity} does the work; this
 * reads the text, checks the flags and prints).
 */
final class EvalText {
    static final int DEFAULT_WINDOW = 2048;

    private EvalText() {}

    static int run(Flags flags, PrintStream out, PrintStream err) {
        for (String setOnly : List.of("set", "limit", "kv-bits", "plot", "from", "kv-stats")) {
            if (flags.has(setOnly)) throw new UsageException("--" + setOnly + " belongs to eval --set; --text scores a text (see --max-tokens, --window)");
        }
        if (flags.has("text") == flags.has("text-ids")) throw new UsageException("give one of --text FILE and --text-ids FILE");
        Path dir = flags.existingDirectory("model");
        Path file = flags.has("text") ? flags.existingFile("text") : flags.existingFile("text-ids");
        int window = flags.positiveInt("window", DEFAULT_WINDOW);
        if (window < 2) throw new UsageException("--window " + window + ": a window needs at least 2 tokens (one to predict from)");
        int stride = flags.positiveInt("stride", window);
        if (stride > window) throw new UsageException("--stride " + stride + " is longer than --window " + window + ": tokens between windows would never be scored");
        int maxTokens = flags.positiveInt("max-tokens", Integer.MAX_VALUE);
        Set<String> notes = new LinkedHashSet<>();
        List<PromptSetEval.Mode> modes = EvalCommand.modes(flags, dir, notes);
        notes.forEach(err::println);

        long start = System.nanoTime();
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, flags.threads(err), flags.has("allow-unused-weights"))) {
            int[] ids = flags.has("text") ? encode(file, model) : readIds(file, model.decoder().config().vocabSize());
            if (ids.length > maxTokens) ids = Arrays.copyOf(ids, maxTokens);
            if (ids.length < 2) throw new IllegalArgumentException(file + ": " + ids.length + " token(s); at least 2 are needed to score one");
            int maxPositions = model.decoder().config().maxPositionEmbeddings();
            if (Math.min(window, ids.length) > maxPositions) {
                throw new UsageException("--window " + window + " is longer than the model's max_position_embeddings " + maxPositions
                        + " (" + dir.resolve("config.json") + "); give --window " + maxPositions + " or less");
            }
            err.printf("akvq eval: %s loaded in %.2f s; %d tokens of %s, window %d, stride %d%n", dir, (System.nanoTime() - start) / 1e9,
                    ids.length, file, Math.min(window, ids.length), stride);
            for (PromptSetEval.Mode m : modes) err.printf("akvq eval: %-14s %s%n", m.name(), m.settings().describe());
            int[] text = ids;
            EvalCommand.untilCtrlC(stop -> {
                try {
                    return TextPerplexity.evaluate(model, text, modes, window, stride, err::println, stop);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
                }
            }, report -> {
                out.print(report.table());
                if (flags.has("json")) out.println(report.json());
                out.flush();
            });
        }
        return 0;
    }

    /**
     * The file as UTF-8 text, encoded with the model's tokenizer.json and its post-processor's
     * special tokens (BOS for Llama-style tokenizers, none for GPT-2's and Qwen's), once for the
     * whole text: only the first window starts with them.
     */
    private static int[] encode(Path file, VisionLanguageModel model) {
        Path tokenizer = model.directory().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new UsageException("--text needs " + tokenizer + "; give --text-ids FILE (token ids) instead");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        if (text.isBlank()) throw new IllegalArgumentException(file + ": the text is empty");
        Tokenizer t = model.tokenizer();
        return t.encode(text, true);
    }

    /** Token ids separated by white space or commas, each in [0, vocab). */
    static int[] readIds(Path file, int vocab) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        String[] words = text.strip().split("[\\s,]+");
        if (text.isBlank()) throw new IllegalArgumentException(file + ": no token ids; expected ids separated by spaces, commas or lines");
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            try {
                ids[i] = Integer.parseInt(words[i]);
            } catch (NumberFormatException e) {
                ids[i] = -1;
            }
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException(file + ": item " + (i + 1) + " '" + words[i] + "' is not a token id in [0, " + vocab + ")");
            }
        }
        return ids;
    }
}
