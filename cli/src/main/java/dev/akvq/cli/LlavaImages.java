package dev.akvq.cli;

import dev.akvq.weights.config.LlavaConfig;
import java.nio.file.Path;
import java.util.List;

/** The pixel_values of image files for a LLaVA model, with the model directory's preprocessor_config.json. */
final class LlavaImages {
    private LlavaImages() {}

    static float[] pixelValues(Path dir, List<Path> files, LlavaConfig config) {
        if (files.isEmpty()) return new float[0];
        throw new UsageException("--image: image decoding is not in this build yet (it arrives with the image module)");
    }
}
