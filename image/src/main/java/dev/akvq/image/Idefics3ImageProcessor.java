package dev.akvq.image;

import dev.akvq.tensor.DType;
import dev.akvq.weights.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Idefics3ImageProcessor (SmolVLM; image_processing_idefics3.py at transformers 241c04d3). The
 * images of one prompt form one sample. Per image, in the reference's order:
 * <ol>
 * <li>resize so the longest edge is {@code size.longest_edge} and the other
 *     {@code int(longest / aspect)} rounded up to even (at most 1820, the function's default
 *     max_image_size), or to {@code size.height x size.width};
 * <li>resize both edges up to multiples of {@code max_image_size.longest_edge} (the long edge
 *     first, the other from the aspect ratio, then each rounded up);
 * <li>cut into tiles of that size, row-major, and append the whole image resized to one tile
 *     (no tiles, just the image, when it already fits in one);
 * <li>only now convert to RGB: alpha composited over white (the file's own convert_to_rgb);
 * <li>rescale, normalize, pad every frame with zeros to the largest and mark real pixels in
 *     {@code pixel_attention_mask}.
 * </ol>
 * Resizing runs on the image's own pixels: a one-channel image (grey or palette) is handed to
 * PIL in mode P, so PIL resizes it with NEAREST whatever {@code resample} says
 * ({@code camera_gray_126x70} pins this down), and a palette's colours are looked up only in
 * step 4. RGBA is resized premultiplied, as PIL does. LA, which the reference cannot handle
 * (two channels), is converted to RGBA first.
 *
 * <p>Outputs: pixel_values [1, frames, 3, H, W], pixel_attention_mask [1, frames, H, W] (U8,
 * with do_pad), rows_cols [2] for one image or [n_images, 2] (tile rows and columns; 0, 0 when
 * not split). Defaults are the class's: size longest_edge 1456, max_image_size 364, LANCZOS,
 * mean and std 0.5.
 */
public record Idefics3ImageProcessor(boolean doConvertRgb, boolean doResize, int longestEdge, int height, int width,
        Resample resample, boolean doImageSplitting, int maxImageSize, boolean doRescale, double rescaleFactor,
        boolean doNormalize, float[] imageMean, float[] imageStd, boolean doPad) implements ImageProcessor {

    public static final String TYPE = "Idefics3ImageProcessor";
    /** get_resize_output_image_size's max_image_size default, which resize() never overrides. */
    static final int MAX_RESOLUTION = 1820;

    @Override
    public String type() {
        return TYPE;
    }

    public static Idefics3ImageProcessor fromJson(JsonObject o) {
        int longest = 4 * 364, height = 0, width = 0;
        if (o.optObject("size").isPresent()) {
            JsonObject size = o.requireObject("size");
            if (size.has("longest_edge")) longest = PixelValues.positive(size, "longest_edge", size.requireInt("longest_edge"));
            else if (size.has("height") && size.has("width")) {
                longest = 0;
                height = PixelValues.positive(size, "height", size.requireInt("height"));
                width = PixelValues.positive(size, "width", size.requireInt("width"));
            } else throw o.fieldError("size", "must be a dictionary with key 'longest_edge' or 'height' and 'width'");
            if (longest > MAX_RESOLUTION) {
                throw size.fieldError("longest_edge", "= " + longest + " cannot be larger than " + MAX_RESOLUTION + " (the reference's max_image_size)");
            }
        }
        int tile = 364;
        if (o.optObject("max_image_size").isPresent()) {
            JsonObject m = o.requireObject("max_image_size");
            tile = PixelValues.positive(m, "longest_edge", m.requireInt("longest_edge"));
            PixelValues.frameEdges(m, "longest_edge", tile, tile);
        }
        if (longest == 0) PixelValues.frameEdges(o.requireObject("size"), "height", height, width);
        return new Idefics3ImageProcessor(o.booleanOr("do_convert_rgb", true), o.booleanOr("do_resize", true), longest,
                height, width, PixelValues.resample(o, Resample.LANCZOS), o.booleanOr("do_image_splitting", true), tile,
                o.booleanOr("do_rescale", true), PixelValues.rescaleFactor(o), o.booleanOr("do_normalize", true),
                PixelValues.channelValues(o, "image_mean", PixelValues.IMAGENET_STANDARD_MEAN),
                PixelValues.channelValues(o, "image_std", PixelValues.IMAGENET_STANDARD_STD), o.booleanOr("do_pad", true));
    }

    @Override
    public ProcessedImages process(List<DecodedImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to process");
        List<DecodedImage> frames = new ArrayList<>();
        long[] rowsCols = new long[2 * images.size()];
        for (int n = 0; n < images.size(); n++) {
            DecodedImage image = asPilSeesIt(images.get(n));
            if (doResize) {
                int[] hw = longestEdge > 0 ? fitLongestEdge(image.height(), image.width(), longestEdge) : new int[] {height, width};
                image = resample.resize(image, hw[1], hw[0]);
            }
            if (doImageSplitting) {
                int[] hw = multiplesOfTile(image.height(), image.width(), maxImageSize);
                // every tile and the global image are at most one tile; the frames together are held to the limit too
                long tiles = (long) Math.ceilDiv(hw[0], maxImageSize) * Math.ceilDiv(hw[1], maxImageSize) + 1;
                PixelValues.checkFrame("max_image_size.longest_edge", maxImageSize, n, (double) tiles * maxImageSize, maxImageSize);
                image = resample.resize(image, hw[1], hw[0]);
                int[] rc = split(image, frames);
                rowsCols[2 * n] = rc[0];
                rowsCols[2 * n + 1] = rc[1];
            } else {
                frames.add(image);
            }
        }
        int maxH = 0, maxW = 0;
        for (int i = 0; i < frames.size(); i++) {
            DecodedImage f = frames.get(i);
            if (doConvertRgb) frames.set(i, f = f.toRgbOverWhite());
            if (f.mode() != DecodedImage.Mode.RGB) {
                throw new ImageFormatException("frame " + i + " is mode " + f.mode() + " and do_convert_rgb is false: Idefics3 needs RGB");
            }
            maxH = Math.max(maxH, f.height());
            maxW = Math.max(maxW, f.width());
        }
        int plane = maxH * maxW;
        float[] pixels = new float[Math.multiplyExact(frames.size(), 3 * plane)];
        long[] mask = new long[frames.size() * plane];
        for (int i = 0; i < frames.size(); i++) {
            DecodedImage f = frames.get(i);
            if (!doPad && (f.height() != maxH || f.width() != maxW)) {
                throw new ImageFormatException("frames of different sizes (" + f.width() + "x" + f.height() + " and " + maxW + "x" + maxH
                        + ") cannot be stacked with do_pad false");
            }
            float[] one = new float[3 * f.height() * f.width()];
            PixelValues.channelsFirst(f, doRescale, rescaleFactor, doNormalize, imageMean, imageStd, one, 0);
            // _pad_image: bottom and right zero padding of the normalized frame; make_pixel_mask marks the rest
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < f.height(); y++) {
                    System.arraycopy(one, (c * f.height() + y) * f.width(), pixels, i * 3 * plane + c * plane + y * maxW, f.width());
                }
            }
            for (int y = 0; y < f.height(); y++) {
                for (int x = 0; x < f.width(); x++) mask[i * plane + y * maxW + x] = 1;
            }
        }
        List<ProcessedImages.Extra> extras = new ArrayList<>();
        if (doPad) extras.add(new ProcessedImages.Extra("pixel_attention_mask", DType.U8, new long[] {1, frames.size(), maxH, maxW}, mask));
        long[] rcShape = images.size() == 1 ? new long[] {2} : new long[] {images.size(), 2};
        extras.add(new ProcessedImages.Extra("rows_cols", DType.I64, rcShape, rowsCols));
        return new ProcessedImages(pixels, new long[] {1, frames.size(), 3, maxH, maxW}, extras);
    }

    /**
     * The PIL image resize() builds from the numpy array: one channel becomes mode P (grey
     * values as indices over PIL's grey-ramp palette, so the later conversion gives the grey
     * back), three RGB, four RGBA.
     */
    private static DecodedImage asPilSeesIt(DecodedImage image) {
        return switch (image.mode()) {
            case L -> new DecodedImage(image.width(), image.height(), DecodedImage.Mode.P, image.samples(), new byte[0]);
            case LA -> image.toRgba();
            default -> image;
        };
    }

    /** _resize_output_size_rescale_to_max_len then _resize_output_size_scale_below_upper_bound; returns {h, w}. */
    static int[] fitLongestEdge(int height, int width, int maxLen) {
        double aspect = (double) width / height;
        int h, w;
        if (width >= height) {
            w = maxLen;
            h = (int) (w / aspect);
            if (h % 2 != 0) h++;
        } else {
            h = maxLen;
            w = (int) (h * aspect);
            if (w % 2 != 0) w++;
        }
        h = Math.max(h, 1);
        w = Math.max(w, 1);
        aspect = (double) w / h;
        if (w >= h && w > MAX_RESOLUTION) {
            w = MAX_RESOLUTION;
            h = (int) (w / aspect);
        } else if (h > w && h > MAX_RESOLUTION) {
            h = MAX_RESOLUTION;
            w = (int) (h * aspect);
        }
        return new int[] {Math.max(h, 1), Math.max(w, 1)};
    }

    /** resize_for_vision_encoder: both edges up to multiples of {@code tile}; returns {h, w}. */
    static int[] multiplesOfTile(int height, int width, int tile) {
        double aspect = (double) width / height;
        int h, w;
        if (width >= height) {
            w = (int) Math.ceil((double) width / tile) * tile;
            h = (int) (w / aspect);
            h = (int) Math.ceil((double) h / tile) * tile;
        } else {
            h = (int) Math.ceil((double) height / tile) * tile;
            w = (int) (h * aspect);
            w = (int) Math.ceil((double) w / tile) * tile;
        }
        if (h < 1 || w < 1) {
            throw new ImageFormatException("image of " + width + "x" + height + " resizes to " + w + "x" + h
                    + " for max_image_size.longest_edge " + tile + ": too thin to tile");
        }
        return new int[] {h, w};
    }

    /** split_image: row-major tiles, then the global image; returns {rows, cols}. */
    private int[] split(DecodedImage image, List<DecodedImage> frames) {
        int h = image.height(), w = image.width();
        if (h <= maxImageSize && w <= maxImageSize) {
            frames.add(image);
            return new int[] {0, 0};
        }
        int rows = (int) Math.ceil((double) h / maxImageSize), cols = (int) Math.ceil((double) w / maxImageSize);
        int tileH = (int) Math.ceil((double) h / rows), tileW = (int) Math.ceil((double) w / cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x0 = c * tileW, y0 = r * tileH;
                frames.add(crop(image, x0, y0, Math.min(x0 + tileW, w), Math.min(y0 + tileH, h)));
            }
        }
        frames.add(resample.resize(image, maxImageSize, maxImageSize));
        return new int[] {rows, cols};
    }

    private static DecodedImage crop(DecodedImage image, int x0, int y0, int x1, int y1) {
        int ch = image.channels(), cw = x1 - x0, chh = y1 - y0;
        byte[] out = new byte[cw * chh * ch];
        for (int y = 0; y < chh; y++) {
            System.arraycopy(image.samples(), ((y0 + y) * image.width() + x0) * ch, out, y * cw * ch, cw * ch);
        }
        return new DecodedImage(cw, chh, image.mode(), out, image.palette());
    }
}
