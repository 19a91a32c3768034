package dev.akvq.model.llava;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.weights.config.ClipVisionConfig;
import dev.akvq.weights.config.LlavaConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The pixel_values of image files for a LLaVA model, through the model directory's preprocessor_config.json. */
public final class LlavaPixels {
    private LlavaPixels() {}

    /** {@code [files, channels, size, size]} row-major; the shape must be the vision tower's. */
    public static float[] pixelValues(ImageProcessor processor, Path dir, List<Path> files, LlavaConfig config) {
        return ofDecoded(processor, dir, config, files.stream().map(ImageDecoder::decode).toList());
    }

    /** As above, for images already decoded. */
    static float[] ofDecoded(ImageProcessor processor, Path dir, LlavaConfig config, List<DecodedImage> images) {
        if (images.isEmpty()) return new float[0];
        ProcessedImages processed = processor.process(images);
        ClipVisionConfig v = config.visionConfig();
        long[] expected = {images.size(), v.numChannels(), v.imageSize(), v.imageSize()};
        if (!Arrays.equals(expected, processed.pixelValuesShape())) {
            throw new IllegalArgumentException(dir.resolve(ImageProcessor.CONFIG_FILE) + " gives pixel_values "
                    + Arrays.toString(processed.pixelValuesShape()) + ", the vision tower (config.json vision_config) takes "
                    + Arrays.toString(expected));
        }
        return processed.pixelValues();
    }

    public static float[] pixelValues(Path dir, List<Path> files, LlavaConfig config) {
        return files.isEmpty() ? new float[0] : pixelValues(ImageProcessor.load(dir), dir, files, config);
    }

    /** As above, for images already decoded. */
    static float[] ofDecoded(Path dir, List<DecodedImage> images, LlavaConfig config) {
        return images.isEmpty() ? new float[0] : ofDecoded(ImageProcessor.load(dir), dir, config, images);
    }
}
