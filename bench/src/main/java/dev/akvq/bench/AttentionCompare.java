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
 * Prompt attention of two builds in one JVM, each loaded by its own class loader from a jar or a
 * classes folder, their calls interleaved (A B, then B A, ...) so that a busy neighbour slows both
 * alike; one thread, timed by the calling thread's CPU time, with the bytes it allocates per call
 * and the largest difference between the two builds' outputs. Shapes:
 * <ul>
 *   <li>the vision towers' {@code BidirectionalAttention.apply} at the three families' usual image
 *       sizes: CLIP ViT-L/14-336 (577 tokens, 16 heads of 64, the query scaled), SigLIP of SmolVLM at
 *       512 px (1024 tokens, 12 heads of 64, the scores scaled), Qwen2-VL at 448 px (1024 patches,
 *       16 heads of 80, fused qkv, the scores divided);</li>
 *   <li>the decoder prefill's {@code CausalAttention.attend} at the llama3-374m shape (16 query and
 *       4 KV heads of 64) over 512 and 2000 tokens, and a multi-head one (16 KV heads).</li>
 * </ul>
 * GFLOP/s counts {@code 4·tokens²·heads·headDim} (q·k and p·v), halved for the causal mask.
 *
 * <pre>
 * git stash; mvn -q -o package -Dmaven.test.skip=true -pl bench -am; cp bench/target/benchmarks.jar /tmp/old.jar; git stash pop
 * mvn -q -o package -Dmaven.test.skip=true -pl bench -am
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.akvq.bench.AttentionCompare \
 *     /tmp/old.jar tensor/target/classes/ [calls 8]
 * </pre>
 */
public final class AttentionCompare {
    private AttentionCompare() {}

    /** One shape: {@code kvHeads == 0} marks a vision tower's (bidirectional) attention. */
    private record Shape(String name, int tokens, int heads, int kvHeads, int headDim, String scaling, boolean fused) {
        boolean causal() {
            return kvHeads > 0;
        }
    }

    /** A build's entry point with its arguments made by that build's classes. */
    private record Build(Method call, Object[] arguments) {}

    private static final Shape[] SHAPES = {
        new Shape("vision CLIP-336: 577 tokens, 16x64, query scaled", 577, 16, 0, 64, "query", false),
        new Shape("vision SigLIP-512: 1024 tokens, 12x64, scores scaled", 1024, 12, 0, 64, "score", false),
        new Shape("vision Qwen2-VL 448 px: 1024, 16x80, fused, divided", 1024, 16, 0, 80, "divided", true),
        new Shape("prefill llama3-374m: 512 tokens, 16/4 heads of 64", 512, 16, 4, 64, "score", false),
        new Shape("prefill llama3-374m: 2000 tokens, 16/4 heads of 64", 2000, 16, 4, 64, "score", false),
        new Shape("prefill multi-head: 512 tokens, 16/16 heads of 64", 512, 16, 16, 64, "score", false),
    };

    /** Calls of each build before timing (the JIT's). */
    private static final int UNTIMED = 2;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: AttentionCompare BUILD_A BUILD_B [calls]   (a jar, or a classes folder ending in /)");
            System.exit(2);
        }
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "A = %s, B = %s, %d timed calls each, one thread, load average %.1f%n", args[0], args[1], calls,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (Shape shape : SHAPES) {
            float[] out = new float[shape.tokens() * shape.heads() * shape.headDim()];
            Build[] builds = {load(args[0], shape, out), load(args[1], shape, out)};
            long[][] cpu = new long[2][calls], bytes = new long[2][calls];
            float[][] outs = new float[2][];
            for (int call = -UNTIMED; call < calls; call++) {
                for (int i = 0; i < 2; i++) {
                    int which = (call & 1) == 0 ? i : 1 - i;
                    long bytes0 = threads.getCurrentThreadAllocatedBytes(), cpu0 = threads.getCurrentThreadCpuTime();
                    builds[which].call().invoke(null, builds[which].arguments());
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
            double flops = (shape.causal() ? 2.0 : 4.0) * shape.tokens() * shape.tokens() * shape.heads() * shape.headDim();
            double a = median(cpu[0]) / 1e6, b = median(cpu[1]) / 1e6;
            System.out.printf(Locale.ROOT, "%-54s A %6.1f ms (%5.1f GFLOP/s, %,d B/call)  B %6.1f ms (%5.1f GFLOP/s, %,d B/call)  B/A %.3f  max|A-B| %.1e%n",
                    shape.name(), a, flops / a / 1e6, bytes[0][calls - 1], b, flops / b / 1e6, bytes[1][calls - 1], b / a, diff);
        }
        System.exit(0);                                  // the builds' worker pools are not closed
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The shape's call in the build at {@code path}, on random inputs (the same in every build), a one-thread pool. */
    private static Build load(String path, Shape shape, float[] out) throws Exception {
        var loader = new URLClassLoader(new URL[] {Path.of(path).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> poolClass = loader.loadClass("dev.akvq.tensor.WorkerPool");
        Object pool = poolClass.getMethod("create", int.class).invoke(null, 1);
        SplittableRandom random = new SplittableRandom(1);
        int n = shape.tokens(), width = shape.heads() * shape.headDim(), d = shape.headDim();
        if (shape.causal()) {
            int kvWidth = shape.kvHeads() * d;
            float[] q = uniform(random, n * width), k = uniform(random, n * kvWidth), v = uniform(random, n * kvWidth);
            Class<?> attention = loader.loadClass("dev.akvq.tensor.CausalAttention");
            Class<?> shapeClass = loader.loadClass("dev.akvq.tensor.CausalAttention$Shape");
            Object s = shapeClass.getConstructor(int.class, int.class, int.class, int.class, int.class)
                    .newInstance(n, shape.heads(), shape.kvHeads(), d, Integer.MAX_VALUE);
            Method attend = attention.getMethod("attend", float[].class, float[].class, float[].class, float[].class, shapeClass,
                    float.class, poolClass);
            return new Build(attend, new Object[] {q, k, v, out, s, (float) (1 / Math.sqrt(d)), pool});
        }
        int stride = (shape.fused() ? 3 : 1) * width;
        float[] q = uniform(random, n * stride), k = shape.fused() ? q : uniform(random, n * stride), v = shape.fused() ? q : uniform(random, n * stride);
        Class<?> attention = loader.loadClass("dev.akvq.tensor.BidirectionalAttention");
        Class<?> layoutClass = loader.loadClass("dev.akvq.tensor.BidirectionalAttention$Layout");
        Class<?> scalingClass = loader.loadClass("dev.akvq.tensor.BidirectionalAttention$Scaling");
        Object layout = layoutClass.getMethod(shape.fused() ? "fusedQkv" : "separate", int.class, int.class).invoke(null, shape.heads(), d);
        Object scaling = switch (shape.scaling()) {
            case "query" -> scalingClass.getMethod("query", float.class).invoke(null, (float) (1 / Math.sqrt(d)));
            case "score" -> scalingClass.getMethod("score", float.class).invoke(null, (float) Math.pow(d, -0.5));
            default -> scalingClass.getMethod("scoreDividedBy", float.class).invoke(null, (float) Math.sqrt(d));
        };
        Method apply = attention.getMethod("apply", float[].class, float[].class, float[].class, float[].class, layoutClass,
                int[].class, boolean[].class, scalingClass, poolClass);
        return new Build(apply, new Object[] {q, k, v, out, layout, new int[] {0, n}, null, scaling, pool});
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (2 * random.nextDouble() - 1);
        return a;
    }
}
