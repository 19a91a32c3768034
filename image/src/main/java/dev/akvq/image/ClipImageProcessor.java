package dev.akvq.image;

import dev.akvq.weights.json.JsonObject;
import java.util.List;

/**
 * CLIPImageProcessor (image_processing_clip.py at transformers 241c04d3), LLaVA-1.5's
 * processor. Per image: {@code convert("RGB")}; resize so the shortest edge is
 * {@code size.shortest_edge} and the other {@code int(shortest_edge * long / short)}
 * (get_resize_output_image_size with default_to_square False), or to {@code size.height x
 * size.width}; centre crop to {@code crop_size} (top = (h - crop_h) // 2, zero padding when the
 * crop is larger); rescale; normalize; channels first. pixel_values [n_images, 3, crop_h, crop_w].
 *
 * <p>Defaults are CLIPImageProcessor's: size shortest_edge 224, crop 224x224, BICUBIC,
 * rescale 1/255, OpenAI CLIP mean and std, every do_* true.
 */
public record ClipImageProcessor(boolean doResize, int shortestEdge, int height, int width, Resample resample,
        boolean doCenterCrop, int cropHeight, int cropWidth, boolean doRescale, double rescaleFactor,
        boolean doNormalize, float[] imageMean, float[] imageStd, boolean doConvertRgb) implements ImageProcessor {

    public static final String TYPE = "CLIPImageProcessor";

    @Override
    public String type() {
        return TYPE;
    }

    public static ClipImageProcessor fromJson(JsonObject o) {
        int shortest = 0, height = 0, width = 0;
        if (o.get("size").isPresent() && o.get("size").get() instanceof dev.akvq.weights.json.JsonNumber) {
            shortest = PixelValues.positive(o, "size", o.requireInt("size"));   // get_size_dict(int, default_to_square=False)
        } else {
            JsonObject size = o.optObject("size").orElse(null);
            if (size == null) shortest = 224;
            else if (size.has("shortest_edge")) shortest = PixelValues.positive(size, "shortest_edge", size.requireInt("shortest_edge"));
            else if (size.has("height") && size.has("width")) {
                height = PixelValues.positive(size, "height", size.requireInt("height"));
                width = PixelValues.positive(size, "width", size.requireInt("width"));
            } else throw o.fieldError("size", "expected {\"shortest_edge\": n} or {\"height\": h, \"width\": w}");
        }
        int cropH = 224, cropW = 224;
        if (o.get("crop_size").isPresent() && o.get("crop_size").get() instanceof dev.akvq.weights.json.JsonNumber) {
            cropH = cropW = PixelValues.positive(o, "crop_size", o.requireInt("crop_size"));
        } else if (o.optObject("crop_size").isPresent()) {
            JsonObject crop = o.requireObject("crop_size");
            cropH = PixelValues.positive(crop, "height", crop.requireInt("height"));
            cropW = PixelValues.positive(crop, "width", crop.requireInt("width"));
        }
        // the smallest frame each size can give; prepare() checks each image's own before resizing
        if (shortest > 0) PixelValues.frameEdges(o.optObject("size").orElse(o), o.optObject("size").isPresent() ? "shortest_edge" : "size", shortest, shortest);
        else PixelValues.frameEdges(o.requireObject("size"), "height", height, width);
        PixelValues.frameEdges(o, "crop_size", cropH, cropW);
        return new ClipImageProcessor(o.booleanOr("do_resize", true), shortest, height, width,
                PixelValues.resample(o, Resample.BICUBIC), o.booleanOr("do_center_crop", true), cropH, cropW,
                o.booleanOr("do_rescale", true), PixelValues.rescaleFactor(o), o.booleanOr("do_normalize", true),
                PixelValues.channelValues(o, "image_mean", PixelValues.OPENAI_CLIP_MEAN),
                PixelValues.channelValues(o, "image_std", PixelValues.OPENAI_CLIP_STD), o.booleanOr("do_convert_rgb", true));
    }

    @Override
    public ProcessedImages process(List<DecodedImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to process");
        float[][] each = new float[images.size()][];
        int outH = -1, outW = -1;
        for (int n = 0; n < images.size(); n++) {
            DecodedImage image = prepare(images.get(n), n);
            if (n > 0 && (image.height() != outH || image.width() != outW)) {
                throw new ImageFormatException("image " + n + " comes out " + image.width() + "x" + image.height() + ", image 0 "
                        + outW + "x" + outH + ": with do_center_crop false every image must resize to the same size to stack");
            }
            outH = image.height();
            outW = image.width();
            each[n] = new float[3 * outH * outW];
            PixelValues.channelsFirst(image, doRescale, rescaleFactor, doNormalize, imageMean, imageStd, each[n], 0);
        }
        float[] all = new float[images.size() * 3 * outH * outW];
        for (int n = 0; n < each.length; n++) System.arraycopy(each[n], 0, all, n * each[n].length, each[n].length);
        return new ProcessedImages(all, new long[] {images.size(), 3, outH, outW}, List.of());
    }

    /** convert_to_rgb, resize, center_crop: the 8-bit steps before rescale. */
    DecodedImage prepare(DecodedImage image, int index) {
        if (doConvertRgb) image = image.toRgb();
        if (image.mode() != DecodedImage.Mode.RGB) {
            throw new ImageFormatException("image " + index + " is mode " + image.mode() + " and do_convert_rgb is false: CLIP needs RGB");
        }
        if (doResize) {
            int h = height, w = width;
            if (shortestEdge > 0) {
                int ih = image.height(), iw = image.width();
                int shortSide = Math.min(ih, iw), longSide = Math.max(ih, iw);
                int newLong = (int) ((double) ((long) shortestEdge * longSide) / shortSide);
                if (iw <= ih) { w = shortestEdge; h = newLong; } else { h = shortestEdge; w = newLong; }
                PixelValues.checkFrame("size.shortest_edge", shortestEdge, index, iw <= ih ? shortestEdge : (double) shortestEdge * longSide / shortSide,
                        iw <= ih ? (double) shortestEdge * longSide / shortSide : shortestEdge);
            }
            image = resample.resize(image, w, h);
        }
        return doCenterCrop ? centerCrop(image, cropHeight, cropWidth) : image;
    }

    /** image_transforms.center_crop: floor-centred window; zero padding (before rescale) where the crop is larger. */
    static DecodedImage centerCrop(DecodedImage image, int cropH, int cropW) {
        int h = image.height(), w = image.width();
        int top = Math.floorDiv(h - cropH, 2), left = Math.floorDiv(w - cropW, 2);
        int padTop = 0, padLeft = 0;
        if (!(top >= 0 && top + cropH <= h && left >= 0 && left + cropW <= w)) {
            int newH = Math.max(cropH, h), newW = Math.max(cropW, w);
            padTop = (newH - h + 1) / 2;     // ceil((new - orig) / 2)
            padLeft = (newW - w + 1) / 2;
            top += padTop;
            left += padLeft;
            int bottom = Math.min(newH, top + cropH), right = Math.min(newW, left + cropW);
            top = Math.max(0, top);
            left = Math.max(0, left);
            cropH = bottom - top;
            cropW = right - left;
        }
        byte[] out = new byte[cropH * cropW * 3];
        for (int y = 0; y < cropH; y++) {
            for (int x = 0; x < cropW; x++) {
                int sy = top + y - padTop, sx = left + x - padLeft;   // coordinates in the unpadded image
                if (sy >= 0 && sy < h && sx >= 0 && sx < w) System.arraycopy(image.samples(), (sy * w + sx) * 3, out, (y * cropW + x) * 3, 3);
            }
        }
        return DecodedImage.rgb(cropW, cropH, out);
    }
}
