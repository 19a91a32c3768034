package dev.akvq.model.qwen2vl;

import java.util.List;

/**
 * Qwen2-VL's three position components per prompt token and the offset decoding continues from,
 * as {@code Qwen2VLForConditionalGeneration.get_rope_index} computes them (transformers 4.47.1,
 * modeling_qwen2_vl.py at 241c04d3):
 *
 * <ul>
 *   <li>text runs count on from the previous run's largest position + 1, all three components equal;</li>
 *   <li>an image or video of grid {@code (t, h, w)} takes {@code t · (h/m) · (w/m)} tokens (m =
 *       spatial_merge_size) starting where its {@code <|image_pad|>} / {@code <|video_pad|>} run
 *       starts; token {@code (i, j, k)} (frame, row, column, row-major) gets
 *       {@code (s + i, s + j, s + k)} with {@code s} the first position after the preceding text
 *       (4.47.1 has no seconds-per-grid scaling of {@code i}: that is Qwen2.5-VL);</li>
 *   <li>{@code ropeDelta = max position + 1 - seq}; decode step at cache position {@code c} uses
 *       {@code c + ropeDelta} in all three components.</li>
 * </ul>
 * Images and videos are counted as {@code <|vision_start|>} followed by the pad token, and each
 * one's run is found as the first pad token at or after the end of the previous one.
 *
 * @param temporal  {@code [seq]} (also the position a KV store is told, {@code CachedToken.position})
 * @param height    {@code [seq]}
 * @param width     {@code [seq]}
 * @param ropeDelta max position + 1 - seq
 */
public record MropePositions(int[] temporal, int[] height, int[] width, int ropeDelta) {

    public int length() {
        return temporal.length;
    }

    /** Text only (or no grids): {@code 0 .. seq-1} in every component, delta 0. */
    public static MropePositions text(int seq) {
        int[] p = new int[seq];
        for (int i = 0; i < seq; i++) p[i] = i;
        return new MropePositions(p, p.clone(), p.clone(), 0);
    }

    /** The positions of a decode step at cache position {@code cachePosition}: {@code cachePosition + ropeDelta} everywhere. */
    public static MropePositions decode(int cachePosition, int ropeDelta) {
        int p = cachePosition + ropeDelta;
        return new MropePositions(new int[] {p}, new int[] {p}, new int[] {p}, ropeDelta);
    }

    /**
     * get_rope_index for one unpadded prompt.
     *
     * @param ids    the prompt's token ids
     * @param images image_grid_thw rows, in prompt order
     * @param videos video_grid_thw rows, in prompt order
     */
    public static MropePositions of(int[] ids, List<ImageGrid> images, List<ImageGrid> videos, int imageTokenId,
                                    int videoTokenId, int visionStartTokenId, int mergeSize) {
        if (images.isEmpty() && videos.isEmpty()) return text(ids.length);
        int imageCount = 0, videoCount = 0;
        for (int i = 0; i + 1 < ids.length; i++) {
            if (ids[i] != visionStartTokenId) continue;
            if (ids[i + 1] == imageTokenId) imageCount++;
            if (ids[i + 1] == videoTokenId) videoCount++;
        }
        if (imageCount > images.size() || videoCount > videos.size()) {
            throw new IllegalArgumentException("input_ids hold " + imageCount + " images and " + videoCount
                    + " videos (<|vision_start|> then <|image_pad|> / <|video_pad|>) but image_grid_thw has " + images.size()
                    + " rows and video_grid_thw " + videos.size());
        }
        int[] t = new int[ids.length], h = new int[ids.length], w = new int[ids.length];
        int start = 0, next = 0, imageIndex = 0, videoIndex = 0, remainingImages = imageCount, remainingVideos = videoCount;
        for (int item = 0; item < imageCount + videoCount; item++) {
            int endImage = remainingImages > 0 ? indexOf(ids, imageTokenId, start) : ids.length + 1;
            int endVideo = remainingVideos > 0 ? indexOf(ids, videoTokenId, start) : ids.length + 1;
            ImageGrid grid;
            int end;
            if (endImage < endVideo) {
                grid = images.get(imageIndex++);
                remainingImages--;
                end = endImage;
            } else {
                grid = videos.get(videoIndex++);
                remainingVideos--;
                end = endVideo;
            }
            int gridT = grid.t(), gridH = grid.h() / mergeSize, gridW = grid.w() / mergeSize;
            for (int p = start; p < end; p++, next++) t[p] = h[p] = w[p] = next;   // the text before it
            int tokens = gridT * gridH * gridW;
            if (end + tokens > ids.length) {
                throw new IllegalArgumentException("input_ids: grid " + grid + " needs " + tokens + " pad tokens from index "
                        + end + " but the prompt has " + ids.length + " tokens");
            }
            for (int i = 0, p = end; i < gridT; i++) {
                for (int j = 0; j < gridH; j++) {
                    for (int k = 0; k < gridW; k++, p++) {
                        t[p] = next + i;
                        h[p] = next + j;
                        w[p] = next + k;
                    }
                }
            }
            next += Math.max(gridT, Math.max(gridH, gridW));        // the run's largest position + 1
            start = end + tokens;
        }
        for (int p = start; p < ids.length; p++, next++) t[p] = h[p] = w[p] = next;
        return new MropePositions(t, h, w, next - ids.length);
    }

    /** input_tokens.index(token, from); a missing pad token run is an error naming it. */
    private static int indexOf(int[] ids, int token, int from) {
        for (int i = from; i < ids.length; i++) if (ids[i] == token) return i;
        throw new IllegalArgumentException("input_ids: no pad token " + token + " after index " + from
                + " for an image or video announced by <|vision_start|>");
    }
}
