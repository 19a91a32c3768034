package dev.akvq.image;

import dev.akvq.tensor.DType;
import java.util.List;

/**
 * What an image processor returns, under the goldens' names: {@code pixel_values} (float32, the
 * shape the family's vision tower takes) and the family's extras, integer tensors such as
 * Idefics3's {@code pixel_attention_mask} (U8) and {@code rows_cols} (I64) or Qwen2-VL's
 * {@code image_grid_thw} (I64).
 */
public record ProcessedImages(float[] pixelValues, long[] pixelValuesShape, List<Extra> extras) {

    /** An integer tensor; {@code values} holds every element widened to long, row-major. */
    public record Extra(String name, DType dtype, long[] shape, long[] values) {
        public Extra {
            if (dtype != DType.I64 && dtype != DType.U8) throw new IllegalArgumentException(name + ": extras are I64 or U8");
            if (product(shape) != values.length) throw new IllegalArgumentException(name + ": shape does not match its data");
        }
    }

    public static final String PIXEL_VALUES = "pixel_values";

    public ProcessedImages {
        if (product(pixelValuesShape) != pixelValues.length) {
            throw new IllegalArgumentException("pixel_values: shape does not match its data");
        }
        extras = List.copyOf(extras);
    }

    /** The extra named {@code name}; throws naming it when the family has none. */
    public Extra extra(String name) {
        for (Extra e : extras) if (e.name.equals(name)) return e;
        throw new IllegalArgumentException("no extra \"" + name + "\" (have " + extras.stream().map(Extra::name).toList() + ")");
    }

    static long product(long[] shape) {
        long p = 1;
        for (long d : shape) p = Math.multiplyExact(p, d);
        return p;
    }
}
