package dev.akvq.model;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ProcessedImages;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a caller asks any family to prefill: the prompt as text (laid out by the family as its
 * processor does, see each family's {@code prepare}) or as token ids already expanded, and its
 * images in one of three forms: image files, decoded images, or pixel tensors already through the
 * family's image processor (what {@code akvq trace} reads from an inputs file).
 *
 * <p>Exactly one of {@code text} and {@code ids} is present; at most one image form is non-empty.
 */
public record PromptInput(Optional<String> text, Optional<int[]> ids, List<Path> imageFiles, List<DecodedImage> images,
                          Optional<ProcessedImages> pixels) {

    public PromptInput {
        if (text.isPresent() == ids.isPresent()) throw new IllegalArgumentException("a prompt is either text or token ids");
        imageFiles = List.copyOf(imageFiles);
        images = List.copyOf(images);
        int forms = (imageFiles.isEmpty() ? 0 : 1) + (images.isEmpty() ? 0 : 1) + (pixels.isPresent() ? 1 : 0);
        if (forms > 1) throw new IllegalArgumentException("give the images as files, decoded images or pixel tensors, not several");
    }

    /** A prompt in words, with no images yet. */
    public static PromptInput text(String text) {
        return new PromptInput(Optional.of(text), Optional.empty(), List.of(), List.of(), Optional.empty());
    }

    /** A prompt as token ids, with every image placeholder already expanded as the family's processor does. */
    public static PromptInput ids(int[] ids) {
        return new PromptInput(Optional.empty(), Optional.of(ids.clone()), List.of(), List.of(), Optional.empty());
    }

    public PromptInput withImageFiles(List<Path> files) {
        return new PromptInput(text, ids, files, List.of(), Optional.empty());
    }

    public PromptInput withImages(List<DecodedImage> decoded) {
        return new PromptInput(text, ids, List.of(), decoded, Optional.empty());
    }

    /** Images already through the family's image processor (pixel_values and the family's extras). */
    public PromptInput withPixels(ProcessedImages processed) {
        return new PromptInput(text, ids, List.of(), List.of(), Optional.of(processed));
    }

    /** Images given as files or decoded images (pixel tensors count as the family reads them). */
    public int imageCount() {
        return imageFiles.isEmpty() ? images.size() : imageFiles.size();
    }

    /** The files decoded (PNG, JPEG as {@link ImageDecoder} reads them), or the decoded images as given. */
    public List<DecodedImage> decodedImages() {
        return imageFiles.isEmpty() ? images : imageFiles.stream().map(ImageDecoder::decode).toList();
    }

    /** True when the images arrive as files or decoded images, i.e. still go through the image processor. */
    public boolean hasRawImages() {
        return !imageFiles.isEmpty() || !images.isEmpty();
    }
}
