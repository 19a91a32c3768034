package dev.akvq.bench;

import dev.akvq.image.ClipImageProcessor;
import dev.akvq.image.DecodedImage;
import dev.akvq.image.ProcessedImages;
import dev.akvq.image.Resample;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Milliseconds per image of LLaVA-1.5's CLIPImageProcessor (preprocess/clip_llava15's settings:
 * shortest edge 336, BICUBIC, centre crop 336x336, rescale, CLIP mean/std) on a typical photo
 * size: 640x480 resizes to 448x336, then the crop. {@code resizeOnly} isolates PIL's two-pass
 * bicubic resample, the bulk of the time. Random pixels: the resampler's work does not depend
 * on them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ImagePreprocessBench {
    @Param({"640x480"})
    public String source;

    private DecodedImage photo;
    private ClipImageProcessor clip;

    @Setup
    public void setUp() {
        String[] wh = source.split("x");
        int w = Integer.parseInt(wh[0]), h = Integer.parseInt(wh[1]);
        byte[] pixels = new byte[w * h * 3];
        new Random(42).nextBytes(pixels);
        photo = DecodedImage.rgb(w, h, pixels);
        clip = new ClipImageProcessor(true, 336, 0, 0, Resample.BICUBIC, true, 336, 336, true, 1 / 255.0, true,
                new float[] {0.48145466f, 0.4578275f, 0.40821073f}, new float[] {0.26862954f, 0.26130258f, 0.27577711f}, true);
    }

    @Benchmark
    public ProcessedImages clipImage() {
        return clip.process(List.of(photo));
    }

    @Benchmark
    public DecodedImage resizeOnly() {
        return Resample.BICUBIC.resize(photo, photo.width() * 336 / photo.height(), 336);
    }
}
