package dev.akvq.model.llama;

import dev.akvq.model.StopRequest;
import dev.akvq.model.Trace;
import dev.akvq.model.WeightReader;
import dev.akvq.quant.kv.CachedToken;
import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.tensor.Add;
import dev.akvq.tensor.CausalAttention;
import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixMatrix;
import dev.akvq.tensor.MatrixVector;
import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.RmsNorm;
import dev.akvq.tensor.RotaryEmbedding;
import dev.akvq.tensor.SwiGlu;
import dev.akvq.tensor.ThreadScratch;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.SlidingWindow;
import dev.akvq.weights.config.TextDecoderConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The Llama-family decoder (Llama, Mistral, Qwen2, and the language model of LLaVA and
 * Idefics3), following transformers 4.47.1's modeling_llama.py with eager attention:
 *
 * <pre>
 * x = embeds
 * for each layer:
 *   h = RMSNorm(x);  q, k, v = h Wqᵀ (+bq), h Wkᵀ (+bk), h Wvᵀ (+bv)
 *   q, k = RoPE(q), RoPE(k)                       (rotate_half layout)
 *   cache ← k, v;    a = softmax(q kᵀ / √d + causal mask) v   (grouped-query: head h reads KV head h / (H / H_kv))
 *   x = x + a Woᵀ (+bo)
 *   h = RMSNorm(x);  x = x + (silu(h Wgᵀ) · h Wuᵀ) Wdᵀ
 * out = RMSNorm(x)
 * </pre>
 *
 * One code path serves prefill (many tokens, matrix-matrix) and decode (one token,
 * matrix-vector); the KV cache is whatever {@link KeyValueStore} each layer was given.
 */
public final class LlamaDecoder {
    private final TextDecoderConfig config;
    private final LlamaWeights weights;
    private final float[] inverseFrequencies;
    private final WorkerPool pool;

    public LlamaDecoder(TextDecoderConfig config, LlamaWeights weights, WorkerPool pool) {
        if (!config.hiddenAct().equals("silu")) {
            throw new IllegalArgumentException("config.json: hidden_act \"" + config.hiddenAct()
                    + "\" is not supported for the Llama-family MLP; expected \"silu\"");
        }
        this.config = config;
        this.weights = weights;
        this.inverseFrequencies = RopeFrequencies.of(config);
        this.pool = pool;
    }

    /** The decoder of a LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM checkpoint ("model.*", "lm_head.weight"). */
    public static LlamaDecoder forCausalLm(Checkpoint checkpoint, TextDecoderConfig config, WorkerPool pool) {
        WeightReader weights = WeightReader.of(checkpoint, config);
        LlamaDecoder decoder = forCausalLm(weights, config, pool);
        weights.requireAllTaken();
        return decoder;
    }

    /** As {@link #forCausalLm(Checkpoint, TextDecoderConfig, WorkerPool)}, taking the decoder's tensors from {@code weights}. */
    public static LlamaDecoder forCausalLm(WeightReader weights, TextDecoderConfig config, WorkerPool pool) {
        return new LlamaDecoder(config, LlamaWeights.load(weights, config, "model.", "lm_head.weight"), pool);
    }

    public TextDecoderConfig config() {
        return config;
    }

    /**
     * Compiles the forward pass's kernels before a one-shot run needs them: every kernel on tiny
     * inputs cut from this decoder's own weights, with a KV store made by {@code settings}
     * ({@link DecoderWarmup}; about a tenth of a second once compiled). Results are unchanged.
     * A decoder of fewer than {@link DecoderWarmup#MIN_WEIGHTS} weights per layer is skipped: its
     * first tokens cost less than the warm-up, and the JIT compiles it while they run.
     *
     * @return whether it ran
     */
    public boolean warmUp(KvCacheSettings settings) {
        LlamaWeights.Layer first = weights.layers().get(0);
        long perLayer = (long) first.q().rows() * first.q().cols() + 3L * first.gate().rows() * first.gate().cols();
        if (perLayer < DecoderWarmup.MIN_WEIGHTS) return false;
        DecoderWarmup.run(this, weights, settings);
        return true;
    }

    float[] inverseFrequencies() {
        return inverseFrequencies;
    }

    WorkerPool pool() {
        return pool;
    }

    /** Token embeddings {@code [ids.length, hidden]}; an id outside the vocabulary is an error naming it. */
    public float[] embed(int[] ids) {
        int h = config.hiddenSize();
        float[] out = new float[ids.length * h];
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[t] + " at index " + t
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            weights.embedTokens().copyRow(ids[t], out, t * h);
        }
        return out;
    }

    /** Token {@code id}'s embedding written at {@code out[offset ..+hidden)}; an id outside the vocabulary is an error naming it. */
    public void embedInto(int id, float[] out, int offset) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        weights.embedTokens().copyRow(id, out, offset);
    }

    /**
     * Runs {@code tokens.length} new tokens of one sequence through every layer, appending their
     * keys and values to {@code cache} (one store per layer), and returns the final norm's output
     * {@code [tokens, hidden]}. {@code x} is the input embeddings and is overwritten with the
     * residual stream.
     */
    public float[] forward(float[] x, CachedToken[] tokens, List<KeyValueStore> cache, Trace trace) {
        return forward(x, tokens, RotaryPositions.of(inverseFrequencies, tokens), cache, trace);
    }

    /**
     * As {@link #forward(float[], CachedToken[], List, Trace)}, with the rotary tables of the new
     * tokens given by the caller (Qwen2-VL's M-RoPE) instead of built from their positions.
     */
    public float[] forward(float[] x, CachedToken[] tokens, RotaryPositions rotary, List<KeyValueStore> cache, Trace trace) {
        int n = tokens.length, hidden = config.hiddenSize(), heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads(), headDim = config.headDim(), ffn = config.intermediateSize();
        int qWidth = heads * headDim, kvWidth = kvHeads * headDim;
        float eps = (float) config.rmsNormEps();
        if (cache.size() != config.numHiddenLayers()) {
            throw new IllegalArgumentException("cache has " + cache.size() + " layers, the model " + config.numHiddenLayers());
        }
        int past = cache.get(0).length();
        if (past + n > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + (past + n) + " tokens exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings() + " of config.json");
        }
        float[] h = new float[n * hidden];                 // normed residual stream
        float[] q = new float[n * qWidth], k = new float[n * kvWidth], v = new float[n * kvWidth];
        float[] attention = new float[n * qWidth];          // per-head outputs, concatenated
        float[] projected = new float[n * hidden];          // o_proj / down_proj output
        float[] gate = new float[n * ffn], up = new float[n * ffn];
        if (rotary.headDim() != headDim || rotary.tokens() != n) {
            throw new IllegalArgumentException("rotary tables are [" + rotary.tokens() + ", " + rotary.headDim()
                    + "], expected [" + n + ", " + headDim + "] (tokens, head_dim)");
        }
        float[] cos = rotary.cos(), sin = rotary.sin();
        if (trace.enabled()) trace.put("decoder_inputs_embeds", x.clone(), 1, n, hidden);

        for (int l = 0; l < config.numHiddenLayers(); l++) {
            StopRequest.checkBefore("decoder", l, config.numHiddenLayers());
            LlamaWeights.Layer w = weights.layers().get(l);
            KeyValueStore store = cache.get(l);

            // Attention block: RMSNorm, q/k/v projections, RoPE on q and k.
            queryKeyValue(w, x, n, h, q, k, v, cos, sin);

            // The cache receives the post-RoPE keys and values; at prefill, also the residual stream.
            if (past == 0) store.beginPrefill(x, n, hidden);
            for (int t = 0; t < n; t++) store.append(k, t * kvWidth, v, t * kvWidth, tokens[t]);
            float[] probabilities = attend(store, l, q, k, v, n, past, attention, trace.enabled() && past == 0);
            if (past == 0) store.endPrefill();
            if (probabilities != null) trace.put("attn_probs." + l, probabilities, 1, heads, n, n);
            if (trace.enabled() && past == 0) trace.put("attn_query." + l, java.util.Arrays.copyOf(q, n * qWidth), 1, n, heads, headDim);
            if (trace.enabled() && past == 0) {
                trace.put("kv.key." + l, store.keysForTrace(), 1, kvHeads, store.length(), headDim);
                trace.put("kv.value." + l, store.valuesForTrace(), 1, kvHeads, store.length(), headDim);
            }

            // Output projection back into the residual stream.
            linear(attention, n, w.o(), w.oBias(), projected);
            if (trace.enabled()) trace.put("attn_output." + l, projected.clone(), 1, n, hidden);
            Add.add(x, projected);

            // MLP block: x += down(silu(gate(h)) · up(h)), h = RMSNorm(x).
            mlp(w, x, n, h, gate, up, projected);
            if (trace.enabled()) trace.put("decoder_layer_out." + l, x.clone(), 1, n, hidden);
        }

        float[] out = new float[n * hidden];
        for (int t = 0; t < n; t++) RmsNorm.apply(out, t * hidden, x, t * hidden, weights.finalNorm(), eps);
        if (trace.enabled()) trace.put("decoder_final_norm_out", out.clone(), 1, n, hidden);
        return out;
    }

    /**
     * One step of several sequences at once: every row of {@code batch} (prompt chunks and decode
     * tokens of different sequences) goes through each layer together, so each weight matrix is
     * read once per step for the whole batch (matrix-matrix); attention runs per sequence over its
     * own stores. The math is {@link #forward}'s, row by row: RMSNorm, RoPE, SwiGLU and the adds
     * are per row, and each row of {@code MatrixMatrix}'s product equals {@code MatrixVector}'s
     * result for that row bit for bit, so a sequence gets the same bits in any batch as alone
     * (a segment with no cached tokens yet runs the store's prefill lifecycle, as {@link #forward}
     * does with {@code past == 0}). Ends with the final norm and lm_head of each segment's last row
     * that asked for logits ({@link DecoderBatch#logits}). Rotation needs nothing here: a rotating
     * store turns values and the attention output itself ({@code RotatedKeyValueStore}).
     */
    public void forwardBatch(DecoderBatch batch) {
        int n = batch.rows, hidden = config.hiddenSize(), kvWidth = config.numKeyValueHeads() * config.headDim();
        float eps = (float) config.rmsNormEps();
        if (batch.config != config && !batch.config.equals(config)) {
            throw new IllegalArgumentException("forwardBatch: the batch was built for another config");
        }
        for (int s = 0; s < batch.segments; s++) {
            if (batch.weights[s] != this) {
                throw new IllegalArgumentException("forwardBatch: segment " + s + " reads another decoder's weights");
            }
            if (batch.past[s] + batch.rowCount[s] > config.maxPositionEmbeddings()) {
                throw new IllegalArgumentException("sequence of " + (batch.past[s] + batch.rowCount[s])
                        + " tokens exceeds max_position_embeddings " + config.maxPositionEmbeddings() + " of config.json");
            }
        }
        if (n == 0) return;
        float[] x = batch.x, h = batch.h, q = batch.q, k = batch.k, v = batch.v, attention = batch.attention;
        float[] projected = batch.projected, gate = batch.gate, up = batch.up, cos = batch.cos, sin = batch.sin;

        for (int l = 0; l < config.numHiddenLayers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);

            // Attention block: RMSNorm, q/k/v projections, RoPE on q and k.
            queryKeyValue(w, x, n, h, q, k, v, cos, sin);

            // Each sequence's cache receives its post-RoPE keys and values; a first chunk starts its prefill.
            for (int s = 0; s < batch.segments; s++) {
                KeyValueStore store = batch.caches[s].get(l);
                int first = batch.firstRow[s], count = batch.rowCount[s];
                if (batch.past[s] == 0) {
                    store.beginPrefill(Arrays.copyOfRange(x, first * hidden, (first + count) * hidden), count, hidden);
                }
                for (int t = first; t < first + count; t++) store.append(k, t * kvWidth, v, t * kvWidth, batch.tokens[t]);
            }
            attendBatch(batch, l, q, k, v, attention);
            for (int s = 0; s < batch.segments; s++) if (batch.past[s] == 0) batch.caches[s].get(l).endPrefill();

            // Output projection back into the residual stream.
            linear(attention, n, w.o(), w.oBias(), projected);
            Add.add(x, 0, projected, 0, n * hidden);

            // MLP block: x += down(silu(gate(h)) · up(h)), h = RMSNorm(x).
            mlp(w, x, n, h, gate, up, projected);
        }

        // Final norm and lm_head of the last row of each segment that asked, all at once.
        int wanted = 0;
        for (int s = 0; s < batch.segments; s++) if (batch.wantsLogits[s]) wanted++;
        batch.ensureLogitRows(wanted);
        for (int s = 0, i = 0; s < batch.segments; s++) {
            if (!batch.wantsLogits[s]) continue;
            int last = batch.firstRow[s] + batch.rowCount[s] - 1;
            RmsNorm.apply(batch.normed, i * hidden, x, last * hidden, weights.finalNorm(), eps);
            batch.logitsRow[s] = i++;
        }
        if (wanted > 0) linear(batch.normed, wanted, weights.lmHead(), Optional.empty(), batch.logits);
    }

    /**
     * {@link #attend} for every row of the batch, each over its own sequence's store, with
     * {@link #attend}'s choice per segment so that a sequence gets the same bits as alone: a first
     * chunk whose store reads unquantized rows runs the tiled kernel over its own rows; every other
     * row asks its store, one job per (row, KV head).
     */
    private void attendBatch(DecoderBatch batch, int layer, float[] q, float[] k, float[] v, float[] out) {
        int heads = config.numAttentionHeads(), headDim = config.headDim(), group = config.queriesPerKeyValueHead();
        int qWidth = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Optional<SlidingWindow> window = config.slidingWindow().filter(s -> layer >= s.firstLayer());
        int kvHeads = heads / group, kvWidth = kvHeads * headDim;
        boolean[] tiled = batch.tiled;   // reused: no per-step allocation in proportion to the batch
        for (int s = 0; s < batch.segments; s++) {
            Optional<DType> precision = batch.caches[s].get(layer).promptPrecision();
            tiled[s] = false;
            if (batch.past[s] != 0 || precision.isEmpty()) continue;
            tiled[s] = true;
            int first = batch.firstRow[s], count = batch.rowCount[s];
            boolean f16 = precision.get() == DType.F16;
            float[] ks = Arrays.copyOfRange(k, first * kvWidth, (first + count) * kvWidth);
            float[] vs = Arrays.copyOfRange(v, first * kvWidth, (first + count) * kvWidth);
            float[] o = new float[count * qWidth];
            var shape = new CausalAttention.Shape(count, heads, kvHeads, headDim, window.map(SlidingWindow::size).orElse(Integer.MAX_VALUE));
            CausalAttention.attend(Arrays.copyOfRange(q, first * qWidth, (first + count) * qWidth),
                    f16 ? DType.roundToF16(ks) : ks, f16 ? DType.roundToF16(vs) : vs, o, shape, scale, pool);
            System.arraycopy(o, 0, out, first * qWidth, count * qWidth);
        }
        pool.forRange(batch.rows * kvHeads, (start, end) -> {
            for (int job = start; job < end; job++) {
                int t = job / kvHeads, kvHead = job % kvHeads, first = kvHead * group, s = batch.rowSegment[t];
                if (tiled[s]) continue;
                int to = batch.past[s] + (t - batch.firstRow[s]) + 1;     // causal: itself and everything before
                int from = window.map(w -> Math.max(0, to - w.size())).orElse(0);
                float[] p = probabilities(group * (to - from));
                batch.caches[s].get(layer).attendGroup(q, t * heads * headDim + first * headDim, group, kvHead, from, to, scale,
                        p, out, t * heads * headDim + first * headDim);
            }
        });
    }

    /** Per worker thread: one attention job's probabilities, grown to the longest context seen (no per-step array). */
    private static float[] probabilities(int floats) {
        return SCRATCH.get(PROBABILITIES, floats);
    }

    /**
     * Causal (and, for Mistral-style configs, sliding-window) attention of every new token's
     * query heads; query head {@code h} reads KV head {@code h / (heads / kvHeads)}. A prompt whose
     * store reads unquantized rows runs as one tiled kernel over this pass's own {@code k, v},
     * rounded as the store keeps them ({@link CausalAttention}); otherwise each token asks the
     * store. Returns the probabilities {@code [heads, n, n]} when asked (prefill trace), else null.
     */
    float[] attend(KeyValueStore store, int layer, float[] q, float[] k, float[] v, int n, int past, float[] out,
                   boolean keepProbabilities) {
        int heads = config.numAttentionHeads(), headDim = config.headDim(), group = config.queriesPerKeyValueHead();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Optional<SlidingWindow> window = config.slidingWindow().filter(s -> layer >= s.firstLayer());
        int kvHeads = heads / group;
        Optional<DType> precision = store.promptPrecision();
        if (past == 0 && !keepProbabilities && precision.isPresent()) {
            var shape = new CausalAttention.Shape(n, heads, kvHeads, headDim, window.map(SlidingWindow::size).orElse(Integer.MAX_VALUE));
            boolean f16 = precision.get() == DType.F16;
            int kvFloats = n * kvHeads * headDim;
            CausalAttention.attend(q, f16 ? DType.roundToF16(k, kvFloats, SCRATCH.get(KEYS_F16, kvFloats)) : k,
                    f16 ? DType.roundToF16(v, kvFloats, SCRATCH.get(VALUES_F16, kvFloats)) : v, out, shape, scale, pool);
            return null;
        }
        float[] kept = keepProbabilities ? new float[heads * n * n] : null;
        // One job per (token, KV head): the KV head's group of query heads in one pass over its cache.
        pool.forRange(n * kvHeads, (start, end) -> {
            float[] p = new float[group * (past + n)];
            for (int job = start; job < end; job++) {
                int t = job / kvHeads, kvHead = job % kvHeads, first = kvHead * group;
                int to = past + t + 1;                          // causal: itself and everything before
                int from = window.map(s -> Math.max(0, to - s.size())).orElse(0);
                store.attendGroup(q, t * heads * headDim + first * headDim, group, kvHead, from, to, scale,
                        p, out, t * heads * headDim + first * headDim);
                for (int g = 0; kept != null && g < group; g++) {
                    System.arraycopy(p, g * (to - from), kept, ((first + g) * n + t) * n + from, to - from);
                }
            }
        });
        return kept;
    }

    /**
     * The attention block's inputs for the first {@code n} rows of the residual stream {@code x}:
     * {@code h = RMSNorm(x)}, the q/k/v projections of {@code h}, then RoPE on q and k with row
     * {@code t}'s angles at row {@code t} of {@code cos}/{@code sin}. {@link #forward} and
     * {@link #forwardBatch} share it, so a sequence gets the same bits alone and batched.
     */
    private void queryKeyValue(LlamaWeights.Layer w, float[] x, int n, float[] h, float[] q, float[] k, float[] v,
                               float[] cos, float[] sin) {
        int hidden = config.hiddenSize(), heads = config.numAttentionHeads(), kvHeads = config.numKeyValueHeads();
        int headDim = config.headDim(), qWidth = heads * headDim, kvWidth = kvHeads * headDim;
        float eps = (float) config.rmsNormEps();
        for (int t = 0; t < n; t++) RmsNorm.apply(h, t * hidden, x, t * hidden, w.inputNorm(), eps);
        linear(h, n, w.q(), w.qBias(), q);
        linear(h, n, w.k(), w.kBias(), k);
        linear(h, n, w.v(), w.vBias(), v);
        for (int t = 0; t < n; t++) {
            RotaryEmbedding.rotateHalf(q, t * qWidth, heads, headDim, cos, sin, t * headDim);
            RotaryEmbedding.rotateHalf(k, t * kvWidth, kvHeads, headDim, cos, sin, t * headDim);
        }
    }

    /** The MLP block over the first {@code n} rows: {@code x += down(silu(gate(h)) · up(h))}, {@code h = RMSNorm(x)}. */
    private void mlp(LlamaWeights.Layer w, float[] x, int n, float[] h, float[] gate, float[] up, float[] projected) {
        int hidden = config.hiddenSize();
        for (int t = 0; t < n; t++) RmsNorm.apply(h, t * hidden, x, t * hidden, w.postAttentionNorm(), (float) config.rmsNormEps());
        linear(h, n, w.gate(), w.gateBias(), gate);
        linear(h, n, w.up(), w.upBias(), up);
        SwiGlu.apply(gate, 0, up, 0, n * config.intermediateSize());
        linear(gate, n, w.down(), w.downBias(), projected);
        Add.add(x, 0, projected, 0, n * hidden);
    }

    // Slots of SCRATCH: decode attention's probabilities; a prompt's F16-rounded keys and values.
    private static final int PROBABILITIES = 0, KEYS_F16 = 1, VALUES_F16 = 2;

    /**
     * Per calling thread: a prompt's temporaries, reused by every layer and prompt rather than
     * allocated per call (allocated per call, each lived through young collections and was promoted).
     */
    private static final ThreadScratch SCRATCH = new ThreadScratch(3);

    /** {@code y = x Wᵀ (+ bias)} for {@code n} tokens: matrix-vector for one, matrix-matrix for more. */
    private void linear(float[] x, int n, MatrixView w, Optional<float[]> bias, float[] y) {
        if (n == 1) {
            MatrixVector.multiply(w, x, 0, y, 0, pool);
        } else {
            MatrixMatrix.multiplyTransposed(x, n, w, y, pool);
        }
        if (bias.isPresent()) {
            for (int t = 0; t < n; t++) Add.add(y, t * w.rows(), bias.get(), 0, w.rows());
        }
    }

    /** lm_head over one row of the final norm's output: {@code out[vocab]}. */
    public void logits(float[] normed, int row, float[] out) {
        MatrixVector.multiply(weights.lmHead(), normed, row * config.hiddenSize(), out, 0, pool);
    }

    /** Logits {@code [vocab]} of the last of {@code n} rows of the final norm's output (the next token's distribution). */
    public float[] lastLogits(float[] normed, int n) {
        float[] out = new float[config.vocabSize()];
        logits(normed, n - 1, out);
        return out;
    }

    /**
     * The last of {@code n} prompt rows' logits; with a trace, lm_head over every row (traced as
     * {@code logits [1, n, vocab]}) and its last row, so a traced decode starts from the traced logits.
     */
    public float[] promptLogits(float[] normed, int n, Trace trace) {
        if (!trace.enabled()) return lastLogits(normed, n);
        int vocab = config.vocabSize();
        float[] all = allLogits(normed, n);
        trace.put("logits", all, 1, n, vocab);
        return Arrays.copyOfRange(all, (n - 1) * vocab, n * vocab);
    }

    /** lm_head over every row: {@code [n, vocab]} (the trace's {@code logits}). */
    public float[] allLogits(float[] normed, int n) {
        float[] out = new float[n * config.vocabSize()];
        MatrixMatrix.multiplyTransposed(normed, n, weights.lmHead(), out, pool);
        return out;
    }
}
