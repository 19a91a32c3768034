package dev.akvq.cli;

import dev.akvq.image.ProcessedImages;
import dev.akvq.model.NonFiniteTrace;
import dev.akvq.model.PromptInput;
import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.Greedy;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code akvq trace}: runs the inputs of a safetensors file through the model and writes every
 * intermediate under the goldens' names, for diffing layer by layer against a reference.
 */
final class TraceCommand implements Command {
    @Override
    public String name() {
        return "trace";
    }

    @Override
    public String summary() {
        return "write every intermediate tensor under the goldens' names";
    }

    @Override
    public String help() {
        return """
                akvq trace: every intermediate tensor, under the reference goldens' names

                Usage: akvq trace --model DIR --inputs IN.safetensors --out OUT.safetensors
                                  [--kv MODE] [--kv-... settings] [--kv-stats] [--decode N] [--threads N]
                                  [--prefix P]

                Reads input_ids [batch, seq] (I64) and, if present, attention_mask [batch, seq]
                (1 = token, 0 = left padding). For one sequence it writes decoder_inputs_embeds,
                decoder_layer_out.{i}, decoder_final_norm_out, attn_probs.{i}, kv.key.{i},
                kv.value.{i}, logits and position_ids; for a padded batch, logits and position_ids
                (rows at padded positions are zero). With --decode N, also decode_tokens [batch, N]
                and decode_logits [batch, N, vocab] of greedy decoding (step 0 = the prompt's last
                logits). All tensors F32 except ids and positions (I64).
                Text decoders (llama, mistral, qwen2), llava, idefics3 and qwen2_vl.
                llava also reads pixel_values [images, 3, H, W] (F32) and writes pixel_values,
                vision_hidden_states.{i}, vision_features and projector_output; --prefix P reads
                P + "input_ids" and P + "pixel_values" (e.g. case0. of the llava-shapes goldens)
                and writes the plain names.
                idefics3 also reads pixel_values [1, N, 3, S, S] (F32) and, if present,
                pixel_attention_mask [1, N, S, S], and writes vision_hidden_states.{i},
                vision_features, pixel_shuffle_output and projector_output.
                qwen2_vl also reads pixel_values [patches, 1176] (F32) and image_grid_thw [images, 3]
                (I64) and writes vision_patch_embed, vision_rotary_freqs, vision_block_out.{i},
                vision_features, projector_output, mrope_position_ids [3, 1, seq] and rope_deltas.

                Options:
                  --model DIR      a Hugging Face model directory
                  --inputs FILE    safetensors with input_ids (and attention_mask)
                  --out FILE       where to write the trace
                  --decode N       greedy decode steps to record (default 0)
                  --threads N      worker threads (default: all cores)
                  --allow-unused-weights  run although the checkpoint holds tensors the architecture does not read
                  --prefix P       llava: read the inputs under P + name (goldens with several cases)
                """ + KvFlags.HELP + """

                Example:
                  akvq trace --model tests/src/test/resources/fixtures/models/llama \\
                      --inputs tests/src/test/resources/fixtures/models/llama/goldens.safetensors \\
                      --out /tmp/llama-trace.safetensors --decode 8
                  akvq trace --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --inputs tests/src/test/resources/fixtures/models/llava-shapes/goldens.safetensors \\
                      --prefix case0. --out /tmp/llava-case0.safetensors --decode 6
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args,
                KvFlags.withValue(Set.of("model", "inputs", "out", "decode", "threads", "prefix")), KvFlags.switches(Set.of("allow-unused-weights")));
        Path dir = flags.existingDirectory("model");
        Path inputs = Path.of(flags.require("inputs")), output = Path.of(flags.require("out"));
        KvCacheSettings settings = KvFlags.parse(flags, dir);
        KvFlags.calibrationNote(flags, settings, dir).ifPresent(err::println);
        KvMode mode = settings.mode();
        int decodeSteps = flags.optional("decode").isPresent() ? flags.positiveInt("decode", 0) : 0;
        int threads = flags.threads(err);

        ModelConfig config = ModelConfig.load(dir);
        KvFlags.requireHonoured(flags, settings, config.textConfig().headDim(), dir);
        int context = config.textConfig().maxPositionEmbeddings();
        if (decodeSteps > context) {
            throw new UsageException("--decode " + decodeSteps + " is more than the model's context of " + context
                    + " tokens (max_position_embeddings in config.json)");
        }
        String prefix = flags.optional("prefix").orElse("");
        long start = System.nanoTime();
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads, flags.has("allow-unused-weights")); SafetensorsFile in = SafetensorsFile.open(inputs)) {
            TraceFile file = new TraceFile();
            NonFiniteTrace trace = new NonFiniteTrace(file);
            List<KeyValueStore> cache;
            int steps;
            if (config instanceof TextDecoderConfig) {
                long[][] ids = rows(in.require(prefix + "input_ids"), prefix + "input_ids");
                long[][] mask = in.find(prefix + "attention_mask").map(t -> rows(t, prefix + "attention_mask")).orElse(null);
                steps = Math.min(decodeSteps, context - ids[0].length + 1);   // a decode that reaches the context writes what it has
                cache = traceBatch(model, settings, ids, mask, Math.max(steps, 0), trace, file).cache();
            } else {
                TokenSequence sequence = model.prefill(visionInputs(in, prefix, config.modelType()), settings, trace);
                steps = Math.min(decodeSteps, context - sequence.promptTokens() + 1);
                GreedyTrace.record(sequence, Math.max(steps, 0), trace, file);
                cache = sequence.cache();
            }
            if (steps < decodeSteps) {
                err.printf("akvq trace: note: --decode %d stopped after %d steps: the prompt and the decoded tokens fill the model's"
                        + " context of %d tokens%n", decodeSteps, Math.max(steps, 0), context);
            }
            if (flags.has("kv-stats")) KvFlags.printStats(cache, settings, err);
            file.writer.write(output);
            if (trace.first().isPresent()) {
                throw new IllegalStateException("wrote " + output + ", but the forward pass left the finite range: the first"
                        + " non-finite value is in " + trace.first().get() + ". HINT: akvq inspect --model " + dir
                        + " checks every weight for NaN and infinity");
            }
        }
        err.printf("akvq trace: wrote %s in %.2f s (%d threads, --kv %s)%n", output, (System.nanoTime() - start) / 1e9,
                threads, mode.flag());
        return 0;
    }

    /** Image tensors a vision trace reads besides pixel_values, as the family's image processor names them. */
    static final List<String> IMAGE_EXTRAS = List.of("pixel_attention_mask", "image_grid_thw");

    /**
     * The one prompt of a vision trace: {@code <prefix>input_ids [1, seq]} and, when present,
     * {@code <prefix>pixel_values} with the family's extras ({@link #IMAGE_EXTRAS}) as the image
     * processor would have given them; the family checks their shapes.
     */
    static PromptInput visionInputs(SafetensorsFile in, String prefix, String family) {
        PromptInput input = PromptInput.ids(PromptInputs.singlePrompt(in, prefix, family));
        Optional<WeightTensor> pixels = in.find(prefix + ProcessedImages.PIXEL_VALUES);
        List<ProcessedImages.Extra> extras = new ArrayList<>();
        for (String name : IMAGE_EXTRAS) {
            Optional<WeightTensor> t = in.find(prefix + name);
            if (t.isEmpty()) continue;
            if (pixels.isEmpty()) throw t.get().error("inputs: " + name + " comes with pixel_values; found only " + name);
            extras.add(new ProcessedImages.Extra(name, DType.I64, t.get().shape(), t.get().toLongArray()));
        }
        if (pixels.isEmpty()) return input;
        return input.withPixels(new ProcessedImages(pixels.get().toFloatArray(), pixels.get().shape(), extras));
    }

    /**
     * Each row runs on its own over its real tokens: left padding is masked out entirely, as in transformers.
     * Writes {@code position_ids} and {@code logits} {@code [batch, seq, ...]} (zero rows at padding), the greedy
     * decode, and for one row every intermediate; returns the greedy tokens, the prefill logits and the last row's cache.
     */
    static BatchResult traceBatch(VisionLanguageModel model, KvCacheSettings settings, long[][] ids, long[][] mask, int decodeSteps,
                                  TraceFile trace) {
        return traceBatch(model, settings, ids, mask, decodeSteps, trace, trace);
    }

    /** As above, handing intermediates to {@code trace} and writing ids to {@code file}. */
    static BatchResult traceBatch(VisionLanguageModel model, KvCacheSettings settings, long[][] ids, long[][] mask, int decodeSteps,
                                  Trace trace, TraceFile file) {
        List<KeyValueStore> lastCache = List.of();
        int batch = ids.length, seq = ids[0].length, vocab = model.config().textConfig().vocabSize();
        // checked before anything is allocated: the tensors must fit in Java arrays
        GreedyTrace.requireArray("logits", (long) batch * seq * vocab);
        GreedyTrace.requireArray("decode_logits", (long) batch * decodeSteps * vocab);
        float[] logits = new float[batch * seq * vocab];
        long[] positions = new long[batch * seq];
        long[] tokens = new long[batch * decodeSteps];
        float[] stepLogits = new float[batch * decodeSteps * vocab];
        for (int b = 0; b < batch; b++) {
            int first = firstRealToken(ids, mask, b);
            int n = seq - first;
            int[] rowIds = new int[n];
            for (int t = 0; t < n; t++) {
                rowIds[t] = Math.toIntExact(ids[b][first + t]);
                positions[b * seq + first + t] = t;
            }
            // transformers' generate() sets padded positions to 1 (position_ids.masked_fill_(mask == 0, 1)).
            for (int t = 0; t < first; t++) positions[b * seq + t] = 1;
            RowTrace rowTrace = new RowTrace(batch == 1 ? trace : Trace.NONE);
            TokenSequence sequence = model.prefill(PromptInput.ids(rowIds), settings, rowTrace);
            lastCache = sequence.cache();
            System.arraycopy(rowTrace.logits, 0, logits, (b * seq + first) * vocab, n * vocab);
            float[] last = sequence.logits();
            for (int s = 0; s < decodeSteps; s++) {
                System.arraycopy(last, 0, stepLogits, (b * decodeSteps + s) * vocab, vocab);
                int next = Greedy.argmax(last);
                tokens[b * decodeSteps + s] = next;
                if (s + 1 < decodeSteps) last = sequence.step(next);
            }
        }
        file.writer.i64("position_ids", positions, batch, seq);
        if (decodeSteps > 0) {
            file.writer.i64("decode_tokens", tokens, batch, decodeSteps);
            trace.put("decode_logits", stepLogits, batch, decodeSteps, vocab);
        }
        trace.put("logits", logits, batch, seq, vocab);
        return new BatchResult(tokens, logits, lastCache);
    }

    /**
     * One row of a padded batch: keeps the row's own {@code logits} for the batch's tensor, drops its
     * {@code position_ids} (the batch writes its padded ones) and hands everything else on.
     */
    private static final class RowTrace implements Trace {
        private final Trace next;
        float[] logits;

        RowTrace(Trace next) {
            this.next = next;
        }

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void put(String name, float[] data, long... shape) {
            if (name.equals("logits")) logits = data;
            else next.put(name, data, shape);
        }

        @Override
        public void putIds(String name, long[] data, long... shape) {
            if (!name.equals("position_ids")) next.putIds(name, data, shape);
        }
    }

    /**
     * @param tokens greedy tokens {@code [batch, decodeSteps]}; @param logits prefill logits {@code [batch, seq, vocab]}
     * @param cache  the last row's KV cache after decoding
     */
    record BatchResult(long[] tokens, float[] logits, List<KeyValueStore> cache) {}

    /** Index of the first unmasked token of row {@code b}; the mask must be 0s then 1s (left padding). */
    private static int firstRealToken(long[][] ids, long[][] mask, int b) {
        if (mask == null) return 0;
        int first = 0;
        while (first < mask[b].length && mask[b][first] == 0) first++;
        for (int t = first; t < mask[b].length; t++) {
            if (mask[b][t] != 1) {
                throw new IllegalArgumentException("attention_mask row " + b + " is not left padding (0s then 1s) at index " + t);
            }
        }
        if (first == mask[b].length) throw new IllegalArgumentException("attention_mask row " + b + " has no tokens");
        return first;
    }

    /** A [batch, seq] integer tensor as rows. */
    private static long[][] rows(WeightTensor t, String name) {
        if (t.rank() != 2 || t.dim(0) < 1 || t.dim(1) < 1) {
            throw t.error("expected " + name + " of shape [batch, seq], found " + Arrays.toString(t.shape()));
        }
        long[] flat = t.toLongArray();
        int batch = (int) t.dim(0), seq = (int) t.dim(1);
        long[][] out = new long[batch][];
        for (int b = 0; b < batch; b++) out[b] = Arrays.copyOfRange(flat, b * seq, (b + 1) * seq);
        return out;
    }
}
