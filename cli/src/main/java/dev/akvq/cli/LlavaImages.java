package dev.akvq.cli;

import dev.akvq.model.llava.LlavaPixels;
import dev.akvq.weights.config.LlavaConfig;
import java.nio.file.Path;
import java.util.List;

/** The pixel_values of image files for a LLaVA model, with the model directory's preprocessor_config.json. */
final class LlavaImages {
    private LlavaImages() {}

    static float[] pixelValues(Path dir, List<Path> files, LlavaConfig config) {
        return LlavaPixels.pixelValues(dir, files, config);
    }
}
