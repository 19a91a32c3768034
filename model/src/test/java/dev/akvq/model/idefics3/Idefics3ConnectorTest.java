package dev.akvq.model.idefics3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.akvq.tensor.MatrixView;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.Idefics3Config;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.json.Json;
import org.junit.jupiter.api.Test;

/**
 * The pixel shuffle's index formula against the reference's own four steps (view, view,
 * permute, reshape, permute, reshape of Idefics3Connector.pixel_shuffle), carried out literally on
 * a row-major index tensor.
 */
class Idefics3ConnectorTest {

    @Test
    void pixelShuffleEqualsTheReferenceViewPermuteReshape() {
        for (int[] sizes : new int[][] {{8, 2, 5}, {6, 3, 4}, {12, 2, 3}, {6, 2, 1}}) {
            int g = sizes[0], s = sizes[1], d = sizes[2], tiles = 2;
            Idefics3Config config = (Idefics3Config) ModelConfig.fromJson(Json.parseObject("""
                    {"model_type": "idefics3", "scale_factor": %d,
                     "text_config": {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8,
                                     "num_hidden_layers": 1, "vocab_size": 16},
                     "vision_config": {"hidden_size": %d, "num_attention_heads": 1, "image_size": %d, "patch_size": 1}}
                    """.formatted(s, d, g), "config.json"));
            float[] features = new float[tiles * g * g * d];
            for (int i = 0; i < features.length; i++) features[i] = i;
            try (WorkerPool pool = WorkerPool.create(1)) {
                var connector = new Idefics3Connector(config, MatrixView.ofFloats(8, d * s * s, new float[8 * d * s * s]), pool);
                assertArrayEquals(reference(features, tiles, g * g, d, s), connector.pixelShuffle(features, tiles),
                        "G " + g + " s " + s + " D " + d);
            }
        }
    }

    /** pixel_shuffle as written: x.view(b, h, w, D).view(b, h, w/s, D·s).permute(0, 2, 1, 3).reshape(...).permute(0, 2, 1, 3).reshape(...). */
    private static float[] reference(float[] x, int bsz, int seq, int embed, int s) {
        int h = (int) Math.sqrt(seq), w = h;
        // [b, h, w/s, D·s] is a view of x; permute(0, 2, 1, 3) → [b, w/s, h, D·s], made contiguous by reshape.
        Tensor t = new Tensor(x, bsz, h, w / s, embed * s).permute(0, 2, 1, 3).contiguous();
        t = new Tensor(t.data, bsz, w / s, h / s, embed * s * s).permute(0, 2, 1, 3).contiguous();
        return t.data;
    }

    /** A minimal strided tensor: enough for permute and reshape-as-contiguous. */
    private record Tensor(float[] data, int[] shape, int[] strides) {
        Tensor(float[] data, int... shape) {
            this(data, shape, rowMajorStrides(shape));
        }

        static int[] rowMajorStrides(int[] shape) {
            int[] st = new int[shape.length];
            int acc = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                st[i] = acc;
                acc *= shape[i];
            }
            return st;
        }

        Tensor permute(int... order) {
            int[] sh = new int[order.length], st = new int[order.length];
            for (int i = 0; i < order.length; i++) {
                sh[i] = shape[order[i]];
                st[i] = strides[order[i]];
            }
            return new Tensor(data, sh, st);
        }

        Tensor contiguous() {
            float[] out = new float[data.length];
            int[] index = new int[shape.length];
            for (int flat = 0; flat < out.length; flat++) {
                int at = 0;
                for (int i = 0; i < shape.length; i++) at += index[i] * strides[i];
                out[flat] = data[at];
                for (int i = shape.length - 1; i >= 0 && ++index[i] == shape[i]; i--) index[i] = 0;
            }
            return new Tensor(out, shape);
        }
    }
}
