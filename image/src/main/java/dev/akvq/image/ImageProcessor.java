package dev.akvq.image;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A family's image processor as transformers 4.47.1 runs it on PIL images, configured from
 * preprocessor_config.json. {@link #load} picks the family by {@code image_processor_type}.
 */
public interface ImageProcessor {
    String CONFIG_FILE = "preprocessor_config.json";

    /** The images of one prompt, in order, to the tensors the vision tower takes. */
    ProcessedImages process(List<DecodedImage> images);

    /** {@code image_processor_type} of the config this processor implements. */
    String type();

    /** Reads {@code dir}/preprocessor_config.json (or {@code dir} itself when it is a file). */
    static ImageProcessor load(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve(CONFIG_FILE) : dir;
        if (!Files.isRegularFile(file)) {
            throw new ImageFormatException(file + ": no such file (a processor folder holds " + CONFIG_FILE + ")");
        }
        JsonObject config = Json.readObjectFile(file);
        String type = config.requireString("image_processor_type");
        return switch (type) {
            case ClipImageProcessor.TYPE -> ClipImageProcessor.fromJson(config);
            case Idefics3ImageProcessor.TYPE -> Idefics3ImageProcessor.fromJson(config);
            case Qwen2VLImageProcessor.TYPE -> Qwen2VLImageProcessor.fromJson(config);
            default -> throw config.fieldError("image_processor_type", "\"" + type + "\" is not supported; known: "
                    + ClipImageProcessor.TYPE + ", " + Idefics3ImageProcessor.TYPE + ", " + Qwen2VLImageProcessor.TYPE);
        };
    }
}
