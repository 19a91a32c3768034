package dev.akvq.image;

import dev.akvq.tensor.DType;
import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2VLImageProcessor (image_processing_qwen2_vl.py at transformers 241c04d3). Per image:
 * {@code convert("RGB")}; smart_resize to multiples of {@code patch_size * merge_size} within
 * [min_pixels, max_pixels] (Python's round, half to even); resize (BICUBIC); rescale; normalize;
 * the frame repeated {@code temporal_patch_size} times; cut into patches of
 * (temporal_patch_size x patch_size x patch_size) per channel. Rows are ordered by merge group
 * (t, h / m, w / m, m, m) and each row is (channel, t, y, x) flattened: the reference's
 * reshape to (t, T, c, h/m, m, p, w/m, m, p) and permute (0, 3, 6, 4, 7, 2, 1, 5, 8).
 *
 * <p>Outputs: pixel_values [sum of t*h*w, 3 * T * p * p] (images concatenated),
 * image_grid_thw [n_images, 3]. Defaults are the class's: min_pixels 56*56, max_pixels
 * 28*28*1280, patch 14, temporal patch 2, merge 2, BICUBIC, OpenAI CLIP mean and std.
 */
public record Qwen2VLImageProcessor(boolean doResize, Resample resample, boolean doRescale, double rescaleFactor,
        boolean doNormalize, float[] imageMean, float[] imageStd, boolean doConvertRgb, long minPixels, long maxPixels,
        int patchSize, int temporalPatchSize, int mergeSize) implements ImageProcessor {

    public static final String TYPE = "Qwen2VLImageProcessor";

    @Override
    public String type() {
        return TYPE;
    }

    public static Qwen2VLImageProcessor fromJson(JsonObject o) {
        JsonObject size = o.optObject("size").orElse(null);
        long min = o.optLong("min_pixels").orElse(size != null ? size.optLong("min_pixels").orElse(56L * 56) : 56L * 56);
        long max = o.optLong("max_pixels").orElse(size != null ? size.optLong("max_pixels").orElse(28L * 28 * 1280) : 28L * 28 * 1280);
        if (min <= 0) throw o.fieldError("min_pixels", "must be positive, found " + min);
        if (max < min) throw o.fieldError("max_pixels", "= " + max + " is smaller than min_pixels = " + min);
        if (min > ImageDecoder.MAX_PIXELS) {
            throw o.fieldError("min_pixels", "= " + min + " is more than the limit of " + ImageDecoder.MAX_PIXELS + " pixels (PIL's MAX_IMAGE_PIXELS)");
        }
        return new Qwen2VLImageProcessor(o.booleanOr("do_resize", true), PixelValues.resample(o, Resample.BICUBIC),
                o.booleanOr("do_rescale", true), PixelValues.rescaleFactor(o), o.booleanOr("do_normalize", true),
                PixelValues.channelValues(o, "image_mean", PixelValues.OPENAI_CLIP_MEAN),
                PixelValues.channelValues(o, "image_std", PixelValues.OPENAI_CLIP_STD), o.booleanOr("do_convert_rgb", true),
                min, max, PixelValues.positive(o, "patch_size", o.intOr("patch_size", 14)),
                PixelValues.positive(o, "temporal_patch_size", o.intOr("temporal_patch_size", 2)),
                PixelValues.positive(o, "merge_size", o.intOr("merge_size", 2)));
    }

    /** smart_resize(height, width, factor, min_pixels, max_pixels); returns {h, w}. */
    static int[] smartResize(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height < factor || width < factor) {
            throw new ImageFormatException("image of " + width + "x" + height + ": height and width must be at least "
                    + factor + " (patch_size x merge_size)");
        }
        if ((double) Math.max(height, width) / Math.min(height, width) > 200) {
            throw new ImageFormatException("image of " + width + "x" + height + ": absolute aspect ratio must be at most 200");
        }
        long hBar = Math.round(Math.rint((double) height / factor)) * factor;
        long wBar = Math.round(Math.rint((double) width / factor)) * factor;
        double pixels = (double) height * width;
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt(pixels / maxPixels);
            hBar = (long) Math.floor(height / beta / factor) * factor;
            wBar = (long) Math.floor(width / beta / factor) * factor;
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt(minPixels / pixels);
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        if (hBar < factor || wBar < factor || hBar * wBar > Integer.MAX_VALUE / 4) {
            throw new ImageFormatException("image of " + width + "x" + height + " resizes to " + wBar + "x" + hBar
                    + " within max_pixels " + maxPixels + ": no grid of " + factor + "-pixel cells fits");
        }
        return new int[] {(int) hBar, (int) wBar};
    }

    @Override
    public ProcessedImages process(List<DecodedImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to process");
        int factor = patchSize * mergeSize, rowLength = 3 * temporalPatchSize * patchSize * patchSize;
        List<float[]> rows = new ArrayList<>();
        long[] grids = new long[3 * images.size()];
        long totalRows = 0;
        for (int n = 0; n < images.size(); n++) {
            DecodedImage image = images.get(n);
            if (doConvertRgb) image = image.toRgb();
            if (image.mode() != DecodedImage.Mode.RGB) {
                throw new ImageFormatException("image " + n + " is mode " + image.mode() + " and do_convert_rgb is false: Qwen2-VL needs RGB");
            }
            if (doResize) {
                int[] hw = smartResize(image.height(), image.width(), factor, minPixels, maxPixels);
                boolean grown = (long) image.height() * image.width() < minPixels;
                PixelValues.checkFrame(grown ? "min_pixels" : "max_pixels", grown ? minPixels : maxPixels, n, hw[1], hw[0]);
                image = resample.resize(image, hw[1], hw[0]);
            }
            int h = image.height(), w = image.width();
            if (h % factor != 0 || w % factor != 0) {
                throw new ImageFormatException("image " + n + " is " + w + "x" + h + " with do_resize false: both edges must be multiples of "
                        + "patch_size x merge_size = " + factor);
            }
            float[] chw = new float[3 * h * w];
            PixelValues.channelsFirst(image, doRescale, rescaleFactor, doNormalize, imageMean, imageStd, chw, 0);
            int gridH = h / patchSize, gridW = w / patchSize;
            float[] patches = new float[gridH * gridW * rowLength];
            int row = 0;
            for (int bh = 0; bh < gridH / mergeSize; bh++) {
                for (int bw = 0; bw < gridW / mergeSize; bw++) {
                    for (int mh = 0; mh < mergeSize; mh++) {
                        for (int mw = 0; mw < mergeSize; mw++, row++) {
                            int y0 = (bh * mergeSize + mh) * patchSize, x0 = (bw * mergeSize + mw) * patchSize;
                            int o = row * rowLength;
                            for (int c = 0; c < 3; c++) {
                                for (int t = 0; t < temporalPatchSize; t++) {   // the one frame, repeated
                                    for (int py = 0; py < patchSize; py++) {
                                        System.arraycopy(chw, (c * h + y0 + py) * w + x0, patches, o, patchSize);
                                        o += patchSize;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            rows.add(patches);
            totalRows += (long) gridH * gridW;
            grids[3 * n] = 1;
            grids[3 * n + 1] = gridH;
            grids[3 * n + 2] = gridW;
        }
        float[] all = new float[Math.toIntExact(totalRows * rowLength)];
        int at = 0;
        for (float[] p : rows) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return new ProcessedImages(all, new long[] {totalRows, rowLength},
                List.of(new ProcessedImages.Extra("image_grid_thw", DType.I64, new long[] {images.size(), 3}, grids)));
    }
}
