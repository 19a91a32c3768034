package dev.akvq.cli;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageProcessor;
import dev.akvq.image.ProcessedImages;
import dev.akvq.tensor.DType;
import dev.akvq.weights.SafetensorsWriter;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code akvq preprocess}: runs a family's image processor (picked by preprocessor_config.json's
 * image_processor_type) over the images of one prompt and writes {@code pixel_values} and the
 * family's extras under the goldens' names.
 */
final class PreprocessCommand implements Command {
    @Override
    public String name() {
        return "preprocess";
    }

    @Override
    public String summary() {
        return "run a family's image processor";
    }

    @Override
    public String help() {
        return """
                akvq preprocess: run a family's image processor, as transformers 4.47.1 does with PIL 9.4

                Usage: akvq preprocess --processor DIR --image FILE [--image FILE]... --out OUT.safetensors

                Decodes each image (PNG, JPEG incl. CMYK, BMP, GIF's first frame, TIFF; not WebP),
                runs the processor that DIR/preprocessor_config.json names (CLIPImageProcessor,
                Idefics3ImageProcessor, Qwen2VLImageProcessor) over the images in order, as the images
                of one prompt, and writes OUT with
                  pixel_values                      float32 (CLIP [n, 3, H, W]; Idefics3 [1, tiles, 3, H, W];
                                                    Qwen2-VL [patches, 3 * 2 * 14 * 14])
                  pixel_attention_mask, rows_cols   Idefics3 (U8, I64)
                  image_grid_thw                    Qwen2-VL (I64)
                Shapes go to stderr.

                Options:
                  --processor DIR   a folder with preprocessor_config.json (a model folder, usually)
                  --image FILE      an image; repeat for several, in prompt order
                  --out FILE        the safetensors file to write

                Examples:
                  akvq preprocess --processor tests/src/test/resources/fixtures/models/llava \\
                      --image tests/src/test/resources/fixtures/models/llava/image.png --out pixels.safetensors
                  akvq preprocess --processor tests/src/test/resources/fixtures/models/preprocess/qwen2vl \\
                      --image tests/src/test/resources/fixtures/models/preprocess/images/rocket.jpg \\
                      --image tests/src/test/resources/fixtures/models/preprocess/images/chelsea.png --out q.safetensors
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("processor", "image", "out"), Set.of());
        Path dir = flags.existingDirectory("processor");
        List<String> imageArgs = flags.all("image");
        if (imageArgs.isEmpty()) throw new UsageException("'preprocess' needs at least one --image FILE");
        Path outFile = Path.of(flags.require("out"));
        Path parent = outFile.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new UsageException("--out " + outFile + ": folder " + parent + " does not exist");
        if (!Files.isRegularFile(dir.resolve(ImageProcessor.CONFIG_FILE))) {
            throw new UsageException("--processor " + dir + ": no " + ImageProcessor.CONFIG_FILE + " in it");
        }
        List<DecodedImage> images = new ArrayList<>();
        for (String image : imageArgs) {
            Path file = Flags.existingFile("image", image);
            images.add(ImageDecoder.decode(file, warning -> err.println("akvq preprocess: warning: " + warning)));
        }
        ImageProcessor processor = ImageProcessor.load(dir);
        ProcessedImages result = processor.process(images);
        SafetensorsWriter writer = new SafetensorsWriter().f32(ProcessedImages.PIXEL_VALUES, result.pixelValues(), result.pixelValuesShape());
        err.println(processor.type() + ": " + ProcessedImages.PIXEL_VALUES + " " + Arrays.toString(result.pixelValuesShape()));
        for (ProcessedImages.Extra e : result.extras()) {
            if (e.dtype() == DType.U8) {
                byte[] bytes = new byte[e.values().length];
                for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) e.values()[i];
                writer.u8(e.name(), bytes, e.shape());
            } else {
                writer.i64(e.name(), e.values(), e.shape());
            }
            err.println(processor.type() + ": " + e.name() + " " + Arrays.toString(e.shape()) + " " + e.dtype());
        }
        writer.write(outFile);
        return 0;
    }
}
