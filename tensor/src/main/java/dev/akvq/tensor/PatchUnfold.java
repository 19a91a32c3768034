package dev.akvq.tensor;

/**
 * The patches of square images as rows, for a patch embedding whose convolution has stride equal
 * to its kernel (CLIP's and SigLIP's {@code patch_embedding} Conv2d): the convolution is then one
 * matrix product of these rows with the weight viewed as {@code [out, C·P·P]}.
 *
 * <p>{@code pixels} are {@code [images, C, S, S]}; row {@code (image · G + gy) · G + gx} of the
 * result ({@code G = ⌊S / P⌋} patches per side; as the convolution, the last {@code S mod P} rows
 * and columns are never read) holds patch {@code (gy, gx)} of that image laid out
 * as the Conv2d weight is: channel, then row, then column within the patch.
 */
public final class PatchUnfold {
    private PatchUnfold() {}

    /** @return {@code [images · G², C · P · P]} row-major */
    public static float[] apply(float[] pixels, int images, int channels, int size, int patch, WorkerPool pool) {
        if (images < 0 || channels < 1 || patch < 1 || size < patch) {
            throw new IllegalArgumentException("PatchUnfold: " + images + " images of " + channels + " x " + size + " x " + size
                    + " in patches of " + patch + " (an image must hold at least one patch)");
        }
        long floats = (long) images * channels * size * size;
        if (pixels.length != floats) {
            throw new IllegalArgumentException("PatchUnfold: " + pixels.length + " pixel values, [" + images + ", " + channels
                    + ", " + size + ", " + size + "] needs " + floats);
        }
        int side = size / patch, patches = side * side, width = channels * patch * patch;
        float[] out = new float[Math.toIntExact((long) images * patches * width)];
        pool.forRange(images * patches, (start, end) -> {
            for (int job = start; job < end; job++) {
                int image = job / patches, gy = job % patches / side, gx = job % side, at = job * width;
                for (int c = 0; c < channels; c++) {
                    for (int y = 0; y < patch; y++) {
                        System.arraycopy(pixels, ((image * channels + c) * size + gy * patch + y) * size + gx * patch, out, at, patch);
                        at += patch;
                    }
                }
            }
        });
        return out;
    }
}
