package dev.akvq.model.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** get_rope_index's rules (transformers 4.47.1) on prompts worked out by hand. */
class MropePositionsTest {
    static final int T = 1, IMAGE = 505, VIDEO = 506, START = 502, END = 503;

    static MropePositions of(int[] ids, List<ImageGrid> images, List<ImageGrid> videos) {
        return MropePositions.of(ids, images, videos, IMAGE, VIDEO, START, 2);
    }

    @Test
    void textOnlyCountsUpWithZeroDelta() {
        MropePositions p = of(new int[] {T, T, T}, List.of(), List.of());
        assertArrayEquals(new int[] {0, 1, 2}, p.temporal());
        assertArrayEquals(new int[] {0, 1, 2}, p.width());
        assertEquals(0, p.ropeDelta());
    }

    @Test
    void imageTakesItsGridPositionsAndTextResumesAfterTheLargest() {
        // grid (1, 4, 6), merge 2 -> 1 x 2 x 3 tokens from position 2; text resumes at 2 + max(1, 2, 3) = 5.
        int[] ids = {T, START, IMAGE, IMAGE, IMAGE, IMAGE, IMAGE, IMAGE, END, T};
        MropePositions p = of(ids, List.of(new ImageGrid(1, 4, 6)), List.of());
        assertArrayEquals(new int[] {0, 1, 2, 2, 2, 2, 2, 2, 5, 6}, p.temporal());
        assertArrayEquals(new int[] {0, 1, 2, 2, 2, 3, 3, 3, 5, 6}, p.height());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 2, 3, 4, 5, 6}, p.width());
        assertEquals(7 - 10, p.ropeDelta());
    }

    @Test
    void videoFramesAdvanceTheTemporalComponentAndImagesAndVideosGoInPromptOrder() {
        // video (2, 4, 4) -> 2 x 2 x 2 tokens from 1; then image (1, 2, 2) -> 1 token at 4; text at 5.
        int[] ids = {START, VIDEO, VIDEO, VIDEO, VIDEO, VIDEO, VIDEO, VIDEO, VIDEO, END, START, IMAGE, END};
        MropePositions p = of(ids, List.of(new ImageGrid(1, 2, 2)), List.of(new ImageGrid(2, 4, 4)));
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5, 6}, p.temporal());
        assertArrayEquals(new int[] {0, 1, 1, 2, 2, 1, 1, 2, 2, 3, 4, 5, 6}, p.height());
        assertArrayEquals(new int[] {0, 1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 5, 6}, p.width());
        assertEquals(7 - 13, p.ropeDelta());
    }

    @Test
    void decodeStepsUseCachePositionPlusDeltaEverywhere() {
        MropePositions p = MropePositions.decode(38, -8);
        assertArrayEquals(new int[] {30}, p.temporal());
        assertArrayEquals(new int[] {30}, p.height());
        assertArrayEquals(new int[] {30}, p.width());
    }

    @Test
    void moreImagesThanGridsIsAnError() {
        int[] ids = {START, IMAGE, END, START, IMAGE, END};
        var e = assertThrows(IllegalArgumentException.class, () -> of(ids, List.of(new ImageGrid(1, 2, 2)), List.of()));
        assertTrue(e.getMessage().contains("input_ids hold 2 images and 0 videos"), e.getMessage());
    }
}
