package dev.akvq.bench;

import dev.akvq.tensor.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a Llama-family checkpoint of a real model's shape with random BF16 weights (N(0, 0.02),
 * norms 1), in Hugging Face layout: config.json, generation_config.json, model.safetensors. The
 * weights are streamed to disk, so multi-GB shapes need little memory. Speed depends on shapes and
 * bytes, not on values, so random weights measure what trained ones would.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.akvq.bench.RandomCheckpoint smollm2-360m /tmp/smollm2</pre>
 */
public final class RandomCheckpoint {

    /** The shape of a published checkpoint (its config.json's sizes); {@code maxPositions} is its max_position_embeddings. */
    public record Shape(String name, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                        int vocab, double ropeTheta, String extraConfig, int maxPositions) {
        /** A shape with max_position_embeddings 8192. */
        public Shape(String name, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                     int vocab, double ropeTheta, String extraConfig) {
            this(name, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, ropeTheta, extraConfig, 8192);
        }
    }

    public static final Shape SMOLLM2_360M = new Shape("smollm2-360m", 960, 2560, 32, 15, 5, 64, 49152, 100000, "");
    /** Issue 13's side-by-side model: Llama 3's vocabulary and head layout at 374.6 M parameters (16 layers, 4 KV heads of 64, tied). */
    public static final Shape LLAMA3_374M = new Shape("llama3-374m", 1024, 4096, 16, 16, 4, 64, 128256, 500000, "");
    public static final Shape LLAMA32_1B = new Shape("llama3.2-1b", 2048, 8192, 16, 32, 8, 64, 128256, 500000,
            ",\n  \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0,"
                    + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
    /**
     * Issue 13's long-context shape: multi-head attention (16 KV heads of 64, as LLaVA-1.5's Vicuna
     * has), 8 layers, 32K positions. At 16K cached tokens its FP16 cache (512 MiB) is twice its
     * weights (267 MB), so decode reads mostly cache: where a 2-bit cache should pay off.
     */
    public static final Shape MHA_8X1024_32K = new Shape("mha-8x1024-32k", 1024, 2816, 8, 16, 16, 64, 32000, 10000, "", 32768);

    /** One tensor to write: random N(0, 0.02) BF16 values, or ones for a norm weight. */
    public record Tensor(String name, long[] shape, boolean isNorm) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: RandomCheckpoint smollm2-360m|llama3.2-1b|llama3-374m|mha-8x1024-32k OUT_DIR");
            System.exit(2);
        }
        Shape shape = switch (args[0]) {
            case "smollm2-360m" -> SMOLLM2_360M;
            case "llama3.2-1b" -> LLAMA32_1B;
            case "llama3-374m" -> LLAMA3_374M;
            case "mha-8x1024-32k" -> MHA_8X1024_32K;
            default -> throw new IllegalArgumentException("unknown shape " + args[0]
                    + "; expected smollm2-360m, llama3.2-1b, llama3-374m or mha-8x1024-32k");
        };
        write(shape, Path.of(args[1]));
    }

    /** Writes the checkpoint into {@code dir} (created if needed); returns the weight bytes. */
    public static long write(Shape s, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "head_dim": %d,
                  "vocab_size": %d,
                  "max_position_embeddings": %d,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": %s,
                  "tie_word_embeddings": true,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "bfloat16"%s
                }
                """.formatted(s.hidden, s.intermediate, s.layers, s.heads, s.kvHeads, s.headDim, s.vocab, s.maxPositions, s.ropeTheta,
                s.extraConfig));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": 2}\n");
        List<Tensor> tensors = new ArrayList<>();
        int q = s.heads * s.headDim, kv = s.kvHeads * s.headDim;
        tensors.add(new Tensor("model.embed_tokens.weight", new long[] {s.vocab, s.hidden}, false));
        for (int l = 0; l < s.layers; l++) {
            String p = "model.layers." + l + ".";
            tensors.add(new Tensor(p + "input_layernorm.weight", new long[] {s.hidden}, true));
            tensors.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {q, s.hidden}, false));
            tensors.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {kv, s.hidden}, false));
            tensors.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {kv, s.hidden}, false));
            tensors.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {s.hidden, q}, false));
            tensors.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {s.hidden}, true));
            tensors.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {s.intermediate, s.hidden}, false));
            tensors.add(new Tensor(p + "mlp.up_proj.weight", new long[] {s.intermediate, s.hidden}, false));
            tensors.add(new Tensor(p + "mlp.down_proj.weight", new long[] {s.hidden, s.intermediate}, false));
        }
        tensors.add(new Tensor("model.norm.weight", new long[] {s.hidden}, true));

        return writeSafetensors(dir.resolve("model.safetensors"), tensors);
    }

    /** Streams {@code tensors} as BF16 into one safetensors file; returns the weight bytes. */
    public static long writeSafetensors(Path file, List<Tensor> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = t.elements() * 2;
            header.append(header.length() > 1 ? "," : "").append('"').append(t.name).append("\":{\"dtype\":\"BF16\",\"shape\":[");
            for (int i = 0; i < t.shape.length; i++) header.append(i == 0 ? "" : ",").append(t.shape[i]);
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
        SplittableRandom random = new SplittableRandom(20261124);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors) {
                for (long i = 0; i < t.elements(); i++) {
                    float value = t.isNorm ? 1f : (float) (0.02 * random.nextGaussian());
                    chunk.putShort(DType.f32ToBf16(value));
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array());
                        chunk.clear();
                    }
                }
            }
            out.write(chunk.array(), 0, chunk.position());
        }
        return offset;
    }
}
