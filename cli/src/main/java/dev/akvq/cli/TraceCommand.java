package dev.akvq.cli;

import dev.akvq.model.Trace;
import dev.akvq.model.generate.Greedy;
import dev.akvq.model.llama.LlamaDecoder;
import dev.akvq.model.llama.LlamaSequence;
import dev.akvq.model.llava.LlavaModel;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.Modality;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.SafetensorsFile;
import dev.akvq.weights.WeightTensor;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.LlavaConfig;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.Qwen2VLConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
                KvFlags.withValue(Set.of("model", "inputs", "out", "decode", "threads", "prefix")), KvFlags.switches(Set.of()));
        Path dir = flags.existingDirectory("model");
        Path inputs = Path.of(flags.require("inputs")), output = Path.of(flags.require("out"));
        KvCacheSettings settings = KvFlags.parse(flags, dir);
        KvMode mode = settings.mode();
        int decodeSteps = flags.optional("decode").isPresent() ? flags.positiveInt("decode", 0) : 0;
        int threads = flags.threads(err);

        ModelConfig config = ModelConfig.load(dir);
        KvFlags.requireHonoured(flags, settings, config.textConfig().headDim(), dir);
        long start = System.nanoTime();
        try (Checkpoint checkpoint = Checkpoint.open(dir); SafetensorsFile in = SafetensorsFile.open(inputs);
             WorkerPool pool = WorkerPool.create(threads)) {
            TraceFile trace = new TraceFile();
            switch (config) {
                case TextDecoderConfig text -> {
                    LlamaDecoder decoder = LlamaDecoder.forCausalLm(checkpoint, text, pool);
                    long[][] ids = rows(in.require("input_ids"), "input_ids");
                    long[][] mask = in.find("attention_mask").map(t -> rows(t, "attention_mask")).orElse(null);
                    BatchResult result = traceBatch(decoder, settings, ids, mask, decodeSteps, trace);
                    if (flags.has("kv-stats")) KvFlags.printStats(result.cache(), settings, err);
                }
                case LlavaConfig llava -> {
                    var cache = LlavaTrace.run(LlavaModel.load(checkpoint, llava, pool), in, flags.optional("prefix").orElse(""),
                            settings, decodeSteps, trace);
                    if (flags.has("kv-stats")) KvFlags.printStats(cache, settings, err);
                }
                case Idefics3Config idefics -> {
                    var cache = Idefics3Trace.run(checkpoint, idefics, in, settings, decodeSteps, pool, trace);
                    if (flags.has("kv-stats")) KvFlags.printStats(cache, settings, err);
                }
                case Qwen2VLConfig qwen -> {
                    var cache = Qwen2VLTrace.run(checkpoint, qwen, in, settings, decodeSteps, pool, trace);
                    if (flags.has("kv-stats")) KvFlags.printStats(cache, settings, err);
                }
                default -> throw new UsageException("trace supports llama, mistral, qwen2, llava, idefics3 and qwen2_vl in this build; "
                        + dir + " is " + config.modelType());
            }
            trace.writer.write(output);
        }
        err.printf("akvq trace: wrote %s in %.2f s (%d threads, --kv %s)%n", output, (System.nanoTime() - start) / 1e9,
                threads, mode.flag());
        return 0;
    }

    /**
     * Each row runs on its own over its real tokens: left padding is masked out entirely, as in transformers.
     * Returns the greedy tokens and the prefill logits it also wrote to the trace.
     */
    static BatchResult traceBatch(LlamaDecoder decoder, KvMode mode, long[][] ids, long[][] mask, int decodeSteps, TraceFile trace) {
        return traceBatch(decoder, KvCacheSettings.defaults(mode), ids, mask, decodeSteps, trace);
    }

    /** As above, with every KV-cache setting given; the result also holds the last row's cache (for --kv-stats). */
    static BatchResult traceBatch(LlamaDecoder decoder, KvCacheSettings settings, long[][] ids, long[][] mask, int decodeSteps,
                                  TraceFile trace) {
        List<KeyValueStore> lastCache = List.of();
        int batch = ids.length, seq = ids[0].length, vocab = decoder.config().vocabSize();
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
            Trace rowTrace = batch == 1 ? trace : Trace.NONE;
            LlamaSequence sequence = new LlamaSequence(decoder, settings);
            lastCache = sequence.cache();
            Modality[] modality = new Modality[n];
            Arrays.fill(modality, Modality.TEXT);
            float[] normed = sequence.prefill(decoder.embed(rowIds), modality, rowTrace);
            float[] all = decoder.allLogits(normed, n);
            System.arraycopy(all, 0, logits, (b * seq + first) * vocab, n * vocab);
            float[] last = Arrays.copyOfRange(all, (n - 1) * vocab, n * vocab);
            for (int s = 0; s < decodeSteps; s++) {
                System.arraycopy(last, 0, stepLogits, (b * decodeSteps + s) * vocab, vocab);
                int next = Greedy.argmax(last);
                tokens[b * decodeSteps + s] = next;
                if (s + 1 < decodeSteps) last = sequence.step(next);
            }
        }
        trace.writer.i64("position_ids", positions, batch, seq);
        if (decodeSteps > 0) {
            trace.writer.i64("decode_tokens", tokens, batch, decodeSteps);
            trace.put("decode_logits", stepLogits, batch, decodeSteps, vocab);
        }
        trace.put("logits", logits, batch, seq, vocab);
        return new BatchResult(tokens, logits, lastCache);
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
