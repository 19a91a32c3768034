package dev.akvq.bench;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The vision towers' attention ({@code BidirectionalAttention.apply}) of two builds in one JVM,
 * each loaded by its own class loader from a jar or a classes folder, their calls interleaved
 * (A B, then B A, ...) so that a busy neighbour slows both alike; one thread, timed by the calling
 * thread's CPU time, with the bytes it allocates per call. Shapes are the three families' at their
 * usual image sizes: CLIP ViT-L/14-336 (577 tokens, 16 heads of 64, the query scaled), SigLIP of
 * SmolVLM at 512 px (1024 tokens, 12 heads of 64, the scores scaled), Qwen2-VL at 448 px (1024
 * patches, 16 heads of 80, fused qkv, the scores divided). GFLOP/s counts {@code 4·tokens²·heads·headDim}
 * (q·k and p·v). Also prints the largest difference between the two builds' outputs.
 *
 * <pre>
 * git stash; mvn -q -o package -Dmaven.test.skip=true -pl bench -am; cp bench/target/benchmarks.jar /tmp/old.jar; git stash pop
 * mvn -q -o package -Dmaven.test.skip=true -pl bench -am
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.akvq.bench.VisionAttentionCompare \
 *     /tmp/old.jar tensor/target/classes/ [calls 8]
 * </pre>
 */
public final class VisionAttentionCompare {
    private VisionAttentionCompare() {}

    private record Shape(String name, int tokens, int heads, int headDim, String scaling, boolean fused) {}

    private record Build(String name, Method apply, Object layout, Object scaling, Object pool) {}

    private static final Shape[] SHAPES = {
        new Shape("CLIP-336: 577 tokens, 16x64, query scaled", 577, 16, 64, "query", false),
        new Shape("SigLIP-512: 1024 tokens, 12x64, scores scaled", 1024, 12, 64, "score", false),
        new Shape("Qwen2-VL 448 px: 1024 tokens, 16x80, fused, divided", 1024, 16, 80, "divided", true),
    };

    /** Calls of each build before timing (the JIT's). */
    private static final int UNTIMED = 2;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: VisionAttentionCompare BUILD_A BUILD_B [calls]   (a jar, or a classes folder ending in /)");
            System.exit(2);
        }
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "A = %s, B = %s, %d timed calls each, one thread, load average %.1f%n", args[0], args[1], calls,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (Shape shape : SHAPES) {
            int stride = (shape.fused() ? 3 : 1) * shape.heads() * shape.headDim();
            SplittableRandom random = new SplittableRandom(1);
            float[] q = new float[shape.tokens() * stride], k = new float[q.length], v = new float[q.length];
            for (float[] a : new float[][] {q, k, v}) for (int i = 0; i < a.length; i++) a[i] = (float) (2 * random.nextDouble() - 1);
            if (shape.fused()) k = v = q;
            float[] out = new float[shape.tokens() * shape.heads() * shape.headDim()];
            Build[] builds = {load("A", args[0], shape), load("B", args[1], shape)};
            long[][] cpu = new long[2][calls], bytes = new long[2][calls];
            float[][] outs = new float[2][];
            for (int call = -UNTIMED; call < calls; call++) {
                for (int i = 0; i < 2; i++) {
                    int which = (call & 1) == 0 ? i : 1 - i;
                    Build b = builds[which];
                    long bytes0 = threads.getCurrentThreadAllocatedBytes(), cpu0 = threads.getCurrentThreadCpuTime();
                    b.apply().invoke(null, q, k, v, out, b.layout(), new int[] {0, shape.tokens()}, null, b.scaling(), b.pool());
                    long cpu1 = threads.getCurrentThreadCpuTime(), bytes1 = threads.getCurrentThreadAllocatedBytes();
                    if (call >= 0) {
                        cpu[which][call] = cpu1 - cpu0;
                        bytes[which][call] = bytes1 - bytes0;
                    }
                    outs[which] = out.clone();
                }
            }
            double diff = 0;
            for (int i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(outs[0][i] - outs[1][i]));
            double flops = 4.0 * shape.tokens() * shape.tokens() * shape.heads() * shape.headDim();
            double a = median(cpu[0]) / 1e6, b = median(cpu[1]) / 1e6;
            System.out.printf(Locale.ROOT, "%-52s A %6.1f ms (%5.1f GFLOP/s, %,d B/call)  B %6.1f ms (%5.1f GFLOP/s, %,d B/call)  B/A %.3f  max|A-B| %.1e%n",
                    shape.name(), a, flops / a / 1e6, bytes[0][calls - 1], b, flops / b / 1e6, bytes[1][calls - 1], b / a, diff);
        }
        System.exit(0);                                  // the builds' worker pools are not closed
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** {@code apply(q, k, v, out, layout, starts, keyMask, scaling, pool)} of the build at {@code path}, a one-thread pool. */
    private static Build load(String name, String path, Shape shape) throws Exception {
        var loader = new URLClassLoader(new URL[] {Path.of(path).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> attention = loader.loadClass("dev.akvq.tensor.BidirectionalAttention");
        Class<?> layoutClass = loader.loadClass("dev.akvq.tensor.BidirectionalAttention$Layout");
        Class<?> scalingClass = loader.loadClass("dev.akvq.tensor.BidirectionalAttention$Scaling");
        Class<?> poolClass = loader.loadClass("dev.akvq.tensor.WorkerPool");
        Object layout = layoutClass.getMethod(shape.fused() ? "fusedQkv" : "separate", int.class, int.class)
                .invoke(null, shape.heads(), shape.headDim());
        double d = shape.headDim();
        Object scaling = switch (shape.scaling()) {
            case "query" -> scalingClass.getMethod("query", float.class).invoke(null, (float) (1 / Math.sqrt(d)));
            case "score" -> scalingClass.getMethod("score", float.class).invoke(null, (float) Math.pow(d, -0.5));
            default -> scalingClass.getMethod("scoreDividedBy", float.class).invoke(null, (float) Math.sqrt(d));
        };
        Object pool = poolClass.getMethod("create", int.class).invoke(null, 1);
        Method apply = attention.getMethod("apply", float[].class, float[].class, float[].class, float[].class, layoutClass,
                int[].class, boolean[].class, scalingClass, poolClass);
        return new Build(name, apply, layout, scaling, pool);
    }
}
