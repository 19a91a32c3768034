package dev.akvq.cli;

import dev.akvq.engine.BatchScheduler;
import dev.akvq.engine.GenerationListener;
import dev.akvq.engine.GenerationRequest;
import dev.akvq.engine.GenerationResult;
import dev.akvq.engine.QueueFullException;
import dev.akvq.engine.RequestHandle;
import dev.akvq.engine.SchedulerSettings;
import dev.akvq.model.PreparedPrompt;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.GenerationConfig;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code akvq batch}: offline batch inference. Requests are read from a JSON-lines file as the
 * scheduler has room, decoded together under one KV budget ({@link BatchScheduler}), and each
 * result is appended to the output file the moment its request finishes, so a crash loses no
 * finished result and a rerun skips the ids already written.
 */
final class BatchCommand implements Command {
    @Override
    public String name() {
        return "batch";
    }

    @Override
    public String summary() {
        return "offline batch inference: JSON-lines requests decoded together under a KV budget";
    }

    @Override
    public String help() {
        return """
                akvq batch: offline batch inference, many requests decoded together under one KV budget

                Usage: akvq batch --model DIR --requests IN.jsonl --out OUT.jsonl [--kv MODE] [--kv-... settings]
                                  [--kv-budget BYTES] [--chunk N] [--max-batch N] [--threads N]

                Each line of IN.jsonl is one request:
                  {"id": "q1", "prompt": "What is in the image?", "images": ["img/1.png"], "max_new_tokens": 32,
                   "temperature": 0, "top_p": 0.9, "seed": 7, "kv": "akvq --kv-window 32"}
                id and prompt are required; or "prompt_ids": [...] instead of prompt, token ids with the image
                tokens expanded, as run --prompt-ids takes them (text is then null without a tokenizer.json).
                The prompt is laid out as run --prompt takes it (image markers included or not); images are paths relative to IN.jsonl's folder; kv is one mode entry as
                --kv takes it (default: this command's --kv settings); max_new_tokens, temperature, top_p
                default to generation_config.json (greedy when it does not sample), seed to 0.
                Each line of OUT.jsonl is written when its request finishes:
                  {"id": "q1", "text": "...", "token_ids": [...], "finish_reason": "stop"|"length",
                   "prompt_tokens": N, "kv_bytes": N, "bits_per_value": X}
                or, for a request that cannot run, {"id": "q1", "error": "...", "line": N} (the run goes on).
                Rerunning with the same OUT.jsonl skips the ids already in it. A progress line goes to stderr
                every few seconds: done/total, running, queued, tokens/s, KV bytes in use of the budget, ETA.

                A request is admitted when the KV bytes of every running request, each projected at its
                prompt + max_new_tokens tokens in its mode, fit the budget (README, "Batched decoding");
                until then it waits in order. Each step runs one token of every running request and a
                prompt chunk of at most --chunk tokens through the model at once. A greedy request gets
                the tokens it gets alone (with prompts of at most --chunk tokens, the tokens of akvq run).

                Options:
                  --model DIR          a Hugging Face model directory
                  --requests FILE      the requests, one JSON object per line
                  --out FILE           the results, appended as requests finish
                  --kv-budget BYTES    bytes all KV caches may hold together, e.g. 2GiB, 512MiB (default 2GiB)
                  --chunk N            prompt tokens one request runs per step (default 512)
                  --max-batch N        requests decoded together at most (default 64)
                  --threads N          worker threads (default: all cores)
                """ + KvFlags.HELP + """

                Examples:
                  akvq batch --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --requests requests.jsonl --out results.jsonl --kv akvq --kv-budget 64MiB
                  akvq batch --model ~/models/Qwen2-VL-2B-Instruct --requests in.jsonl --out out.jsonl --kv akvq --kv-budget 2GiB
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Flags flags = Flags.parse(name(), args, KvFlags.withValue(Set.of("model", "requests", "out", "kv-budget", "chunk",
                "max-batch", "threads")), KvFlags.switches(Set.of()));
        Path dir = flags.existingDirectory("model");
        Path requests = Path.of(flags.require("requests")), outFile = Path.of(flags.require("out"));
        if (!Files.isRegularFile(requests)) throw new UsageException("--requests " + requests + ": not a file");
        KvCacheSettings defaultKv = KvFlags.parse(flags, dir);
        SchedulerSettings settings;
        try {
            settings = SchedulerSettings.defaults()
                    .withBudget(flags.optional("kv-budget").map(SchedulerSettings::parseBytes).orElse(SchedulerSettings.DEFAULT_BUDGET))
                    .withChunk(flags.positiveInt("chunk", SchedulerSettings.DEFAULT_CHUNK))
                    .withMaxBatch(flags.positiveInt("max-batch", SchedulerSettings.DEFAULT_MAX_BATCH));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kv-budget: " + e.getMessage());
        }
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());
        GenerationConfig generation = GenerationConfig.find(dir).orElse(GenerationConfig.DEFAULTS);

        List<String> lines = Files.readAllLines(requests, StandardCharsets.UTF_8);
        Done done = Done.read(outFile);
        int total = 0;
        for (String l : lines) if (!l.isBlank()) total++;
        Path base = requests.toAbsolutePath().getParent();

        try (BatchModel model = BatchModel.load(dir, threads);
             Writer results = Files.newBufferedWriter(outFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            BatchScheduler scheduler = new BatchScheduler(model.decoder(), settings);
            Progress progress = new Progress(total, done.count, settings.kvBudgetBytes(), err);
            ResultWriter writer = new ResultWriter(results, model, progress);
            int next = 0, window = Math.max(2 * settings.maxBatch(), 8);
            while (true) {
                // Keep a few requests waiting beyond what runs: prompts are prepared (images, tower) only as room nears.
                while (next < lines.size() && scheduler.stats().queued() < window) {
                    int lineNumber = next + 1;
                    String text = lines.get(next++);
                    if (text.isBlank()) continue;
                    submit(text, lineNumber, requests, base, done, defaultKv, generation, dir, model, scheduler, writer);
                }
                if (!scheduler.busy() && next >= lines.size()) break;
                scheduler.step();
                progress.maybePrint(scheduler.stats(), false);
            }
            progress.maybePrint(scheduler.stats(), true);
        }
        return 0;
    }

    /** Parses, prepares and submits one line; a bad line gets its error record at once. */
    private static void submit(String text, int line, Path source, Path base, Done done, KvCacheSettings defaultKv,
                               GenerationConfig generation, Path dir, BatchModel model, BatchScheduler scheduler, ResultWriter writer) {
        Optional<String> id = Optional.empty();
        if (done.lines.contains(line)) return;     // its error record (a line without an id) is written already
        try {
            BatchRequest r = BatchRequest.parse(text, line, source, base);
            id = Optional.of(r.id());
            if (done.ids.contains(r.id())) return;     // finished in an earlier run (counted from the output file)
            KvCacheSettings kv = r.kv().isPresent() ? kvEntry(r.kv().get(), dir) : defaultKv;
            double temperature = r.temperature().orElse(generation.doSample() ? generation.temperature() : 0.0);
            Sampler sampler = temperature == 0 ? Sampler.greedy()
                    : Sampler.sampling(temperature, generation.topK(), r.topP().orElse(generation.topP()), r.seed().orElse(0));
            int maxNew = r.maxNewTokens().orElse(generation.maxNewTokens().orElse(128));
            StopCondition stop = StopCondition.of(generation.eosTokenIds().isEmpty() ? model.decoder().config().eosTokenIds()
                    : generation.eosTokenIds(), maxNew);
            PreparedPrompt prepared = model.prepare(r.prompt(), r.promptIds(), r.images());
            GenerationRequest request = new GenerationRequest(r.id(), prepared.tokens(), kv, () -> model.model().queue(prepared, kv),
                    sampler, stop);
            scheduler.submit(request, writer);
        } catch (BatchRequest.BadLine e) {
            writer.error(e.id, e.line, e.getMessage());
        } catch (UsageException | IllegalArgumentException | IllegalStateException | UncheckedIOException | QueueFullException e) {
            writer.error(id, line, e.getMessage());
        } catch (RuntimeException e) {
            writer.error(id, line, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        }
    }

    /** A request's {@code kv} entry, as {@code --kv} takes it: {@code "akvq --kv-window 32"}. */
    static KvCacheSettings kvEntry(String entry, Path dir) {
        List<String> words = new ArrayList<>(List.of(entry.trim().split("\\s+")));
        if (words.isEmpty() || words.getFirst().isEmpty()) throw new IllegalArgumentException("\"kv\": empty; expected e.g. \"akvq --kv-window 32\"");
        if (!words.getFirst().startsWith("--")) words.addFirst("--kv");
        try {
            Flags flags = Flags.parse("batch \"kv\"", words.toArray(String[]::new), KvFlags.WITH_VALUE, Set.of("kv-prefill-quantized"));
            return KvFlags.parse(flags, dir);
        } catch (UsageException e) {
            throw new IllegalArgumentException("\"kv\": " + e.getMessage());
        }
    }

    /** The ids (and line numbers of id-less error records) already in the output file. */
    record Done(Set<String> ids, Set<Integer> lines, int count) {
        static Done read(Path out) throws IOException {
            Set<String> ids = new HashSet<>();
            Set<Integer> lines = new HashSet<>();
            if (!Files.exists(out)) return new Done(ids, lines, 0);
            truncateToLastNewline(out);
            int count = 0;
            try (BufferedReader reader = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
                for (String l; (l = reader.readLine()) != null; ) {
                    if (l.isBlank()) continue;
                    JsonValue v = Json.parse(l, out.toString());
                    if (!(v instanceof JsonObject o)) continue;
                    Optional<JsonValue> id = o.get("id");
                    if (id.isPresent() && id.get() instanceof JsonString s) ids.add(s.value());
                    else o.optInt("line").ifPresent(lines::add);
                    count++;
                }
            }
            return new Done(ids, lines, count);
        }

        /** A crash while writing leaves a partial last line: drop it (its request runs again). */
        private static void truncateToLastNewline(Path out) throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
                long end = f.length();
                while (end > 0) {
                    f.seek(end - 1);
                    if (f.read() == '\n') break;
                    end--;
                }
                f.setLength(end);
            }
        }
    }

    /** Writes each finished request's record as one line, flushed at once. */
    static final class ResultWriter implements GenerationListener {
        private final Writer out;
        private final BatchModel model;
        final Progress progress;

        ResultWriter(Writer out, BatchModel model, Progress progress) {
            this.out = out;
            this.model = model;
            this.progress = progress;
        }

        @Override
        public void onToken(RequestHandle request, int token) {
            progress.token();
        }

        @Override
        public void onFinish(RequestHandle request, GenerationResult r) {
            if (r.error().isPresent() && r.reason() == dev.akvq.engine.FinishReason.ERROR) {
                write("{\"id\": " + Json.quote(r.id()) + ", \"error\": " + Json.quote(r.error().get()) + "}");
                progress.finished();
                return;
            }
            int[] ids = r.tokens().stream().mapToInt(Integer::intValue).toArray();
            StringBuilder tokens = new StringBuilder("[");
            for (int i = 0; i < ids.length; i++) tokens.append(i == 0 ? "" : ", ").append(ids[i]);
            String bits = Double.isFinite(r.bitsPerValue()) ? String.format(Locale.ROOT, "%.4f", r.bitsPerValue()) : "null";
            write("{\"id\": " + Json.quote(r.id()) + ", \"text\": " + model.decode(ids).map(Json::quote).orElse("null")
                    + ", \"token_ids\": " + tokens
                    + "], \"finish_reason\": \"" + r.reason().json() + "\", \"prompt_tokens\": " + r.promptTokens()
                    + ", \"kv_bytes\": " + r.kvBytes() + ", \"bits_per_value\": " + bits + "}");
            progress.finished();
        }

        void error(Optional<String> id, int line, String message) {
            write("{" + id.map(i -> "\"id\": " + Json.quote(i) + ", ").orElse("") + "\"error\": " + Json.quote(message)
                    + ", \"line\": " + line + "}");
            progress.finished();
        }

        private void write(String record) {
            try {
                out.write(record);
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing the results: " + e.getMessage(), e);
            }
        }
    }

    /** The stderr progress line, every few seconds and at the end. */
    static final class Progress {
        private final int total;
        private final long budget, startNanos = System.nanoTime();
        private final PrintStream err;
        private int done, doneThisRun;
        private long tokens, lastPrint = System.nanoTime();

        Progress(int total, int alreadyDone, long budget, PrintStream err) {
            this.total = total;
            this.done = alreadyDone;
            this.budget = budget;
            this.err = err;
        }

        void token() {
            tokens++;
        }

        void finished() {
            done++;
            doneThisRun++;
        }

        void maybePrint(BatchScheduler.Stats s, boolean last) {
            long now = System.nanoTime();
            if (!last && now - lastPrint < 2_000_000_000L) return;
            lastPrint = now;
            double seconds = (now - startNanos) / 1e9;
            int left = Math.max(0, total - done);
            String eta = doneThisRun == 0 ? "?" : String.format(Locale.ROOT, "%.0f s", seconds / doneThisRun * left);
            err.printf(Locale.ROOT, "akvq batch: %d/%d done, %d running, %d queued, %.1f tok/s, KV %s of %s, ETA %s%n",
                    Math.min(done, total), total, s.running(), s.queued(), tokens / seconds, InspectCommand.bytes(s.kvBytesInUse()),
                    InspectCommand.bytes(budget), last ? "0 s" : eta);
        }
    }
}
