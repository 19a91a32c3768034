package dev.akvq.model.qwen2vl;

import java.util.List;

/**
 * One row of {@code image_grid_thw} (or {@code video_grid_thw}): an image or video cut into
 * {@code t} temporal, {@code h} vertical and {@code w} horizontal patches (14 px and 2 frames
 * each at Qwen2-VL's settings).
 */
public record ImageGrid(int t, int h, int w) {
    public ImageGrid {
        if (t < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException("image_grid_thw (" + t + ", " + h + ", " + w + ") must be positive");
        }
    }

    @Override
    public String toString() {
        return "(" + t + ", " + h + ", " + w + ")";
    }

    /** Rows of pixel_values this grid takes: {@code t · h · w}. */
    public int patches() {
        return Math.multiplyExact(Math.multiplyExact(t, h), w);
    }

    /** Tokens the patch merger makes of it, and so {@code <|image_pad|>} tokens in the prompt: {@code t·h·w / merge²}. */
    public int mergedTokens(int mergeSize) {
        return patches() / (mergeSize * mergeSize);
    }

    /** Grids from a {@code [n, 3]} I64 tensor's values. */
    public static List<ImageGrid> fromThw(long[] thw) {
        if (thw.length % 3 != 0) throw new IllegalArgumentException("image_grid_thw must be [n, 3], found " + thw.length + " values");
        ImageGrid[] grids = new ImageGrid[thw.length / 3];
        for (int i = 0; i < grids.length; i++) {
            grids[i] = new ImageGrid(Math.toIntExact(thw[3 * i]), Math.toIntExact(thw[3 * i + 1]), Math.toIntExact(thw[3 * i + 2]));
        }
        return List.of(grids);
    }

    /**
     * Checks that {@code merge} divides every grid's height and width (the merger joins
     * {@code merge x merge} neighbours) and that the grids account for exactly {@code rows} patches.
     */
    public static int checkAgainst(List<ImageGrid> grids, int rows, int merge) {
        long total = 0;
        for (int i = 0; i < grids.size(); i++) {
            ImageGrid g = grids.get(i);
            if (g.h % merge != 0 || g.w % merge != 0) {
                throw new IllegalArgumentException("image_grid_thw row " + i + " (" + g.t + ", " + g.h + ", " + g.w
                        + "): height and width must be multiples of vision_config.spatial_merge_size = " + merge);
            }
            total += g.patches();
        }
        if (total != rows) {
            throw new IllegalArgumentException("image_grid_thw " + grids + " accounts for " + total
                    + " patches (sum of t*h*w) but pixel_values has " + rows + " rows");
        }
        return rows;
    }
}
