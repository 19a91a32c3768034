package dev.akvq.image;

import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.util.Optional;

/**
 * The steps every family shares after resizing, in transformers' exact float order
 * (image_transforms.py at 241c04d3): {@code rescale} multiplies in float64 and casts to
 * float32; {@code normalize} subtracts and divides in float32 with mean and std cast to float32;
 * then channels first. Also the config readers the three processors share.
 */
final class PixelValues {
    private PixelValues() {}

    /** An RGB image to float32 [3, height, width] at {@code out[offset..]}, rescaled and normalized as configured. */
    static void channelsFirst(DecodedImage rgb, boolean doRescale, double rescaleFactor, boolean doNormalize,
            float[] mean, float[] std, float[] out, int offset) {
        if (rgb.mode() != DecodedImage.Mode.RGB) throw new IllegalStateException("expected an RGB image, got " + rgb.mode());
        int w = rgb.width(), h = rgb.height(), plane = w * h;
        byte[] s = rgb.samples();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                int u8 = s[3 * i + c] & 0xFF;
                float x = doRescale ? (float) (u8 * rescaleFactor) : (float) u8;
                if (doNormalize) x = (x - mean[c]) / std[c];
                out[offset + c * plane + i] = x;
            }
        }
    }

    /** image_mean / image_std: one number (every channel) or a list of 3; float32 as normalize() casts them. */
    static float[] channelValues(JsonObject o, String key, double[] defaults) {
        Optional<JsonValue> v = o.get(key);
        double[] d = defaults;
        if (v.isPresent() && v.get() instanceof JsonNumber) {
            double x = o.requireDouble(key);
            d = new double[] {x, x, x};
        } else if (v.isPresent() && v.get() instanceof JsonArray a) {
            if (a.size() != 3) throw o.fieldError(key, "expected 3 values (one per RGB channel), found " + a.size());
            d = new double[3];
            for (int i = 0; i < 3; i++) {
                if (!(a.get(i) instanceof JsonNumber n)) throw o.fieldError(key, "expected numbers, found " + a.get(i).describe());
                d[i] = n.doubleValue();
            }
        } else if (v.isPresent() && !(v.get() instanceof dev.akvq.weights.json.JsonNull)) {
            throw o.fieldError(key, "expected a number or a list of 3 numbers, found " + v.get().describe());
        }
        float[] f = new float[3];
        for (int i = 0; i < 3; i++) {
            f[i] = (float) d[i];
            if (key.contains("std") && !(f[i] != 0 && Float.isFinite(f[i]))) throw o.fieldError(key, "must be finite and non-zero, found " + d[i]);
            if (!Float.isFinite(f[i])) throw o.fieldError(key, "must be finite, found " + d[i]);
        }
        return f;
    }

    static Resample resample(JsonObject o, Resample defaultFilter) {
        Optional<Integer> code = o.optInt("resample");
        if (code.isEmpty()) return defaultFilter;
        return Resample.fromPilCode(code.get()).orElseThrow(() -> o.fieldError("resample", code.get() + " is not a PIL filter (0 NEAREST, 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING)"));
    }

    static double rescaleFactor(JsonObject o) {
        double f = o.doubleOr("rescale_factor", 1 / 255.0);
        if (!(f > 0) || Double.isInfinite(f)) throw o.fieldError("rescale_factor", "must be a positive finite number, found " + f);
        return f;
    }

    /**
     * A processor's output frame is held to the decoder's pixel limit (PIL's MAX_IMAGE_PIXELS),
     * computed from the config before any resize allocates it: an absurd size in
     * preprocessor_config.json is refused naming its field, not met with an exhausted heap.
     */
    static void checkFrame(String field, long fieldValue, int image, double width, double height) {
        if (width * height > ImageDecoder.MAX_PIXELS) {
            throw new ImageFormatException(ImageProcessor.CONFIG_FILE + ": field \"" + field + "\" = " + fieldValue + " would resize image "
                    + image + " to " + String.format(java.util.Locale.ROOT, "%.0fx%.0f", width, height) + ", more than the limit of "
                    + ImageDecoder.MAX_PIXELS + " pixels (PIL's MAX_IMAGE_PIXELS)");
        }
    }

    /** The config-time form of {@link #checkFrame}: a size field whose frame alone exceeds the limit. */
    static int frameEdges(JsonObject o, String key, long height, long width) {
        if ((double) height * width > ImageDecoder.MAX_PIXELS) {
            throw o.fieldError(key, "a " + width + "x" + height + " frame is more than the limit of " + ImageDecoder.MAX_PIXELS
                    + " pixels (PIL's MAX_IMAGE_PIXELS)");
        }
        return (int) Math.min(height, width);
    }

    static int positive(JsonObject o, String key, int value) {
        if (value <= 0) throw o.fieldError(key, "must be a positive integer, found " + value);
        return value;
    }

    static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    static final double[] IMAGENET_STANDARD_MEAN = {0.5, 0.5, 0.5};
    static final double[] IMAGENET_STANDARD_STD = {0.5, 0.5, 0.5};
}
