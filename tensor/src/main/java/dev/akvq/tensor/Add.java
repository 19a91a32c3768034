package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code a[aOffset + i] += b[bOffset + i]}: residual connections and biases. One IEEE float add per
 * element, so both forms give identical results.
 */
public final class Add {
    private Add() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    public static void add(float[] a, int aOffset, float[] b, int bOffset, int n) {
        Objects.checkFromIndexSize(aOffset, n, a.length);
        Objects.checkFromIndexSize(bOffset, n, b.length);
        if (KernelMode.VECTOR) vector(a, aOffset, b, bOffset, n);
        else scalar(a, aOffset, b, bOffset, n);
    }

    /** {@code a += b} over the whole of {@code a} (same lengths). */
    public static void add(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("Add: lengths differ, " + a.length + " vs " + b.length);
        add(a, 0, b, 0, a.length);
    }

    static void vector(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, aOffset + i).add(FloatVector.fromArray(F, b, bOffset + i)).intoArray(a, aOffset + i);
        }
        for (; i < n; i++) a[aOffset + i] += b[bOffset + i];
    }

    static void scalar(float[] a, int aOffset, float[] b, int bOffset, int n) {
        for (int i = 0; i < n; i++) a[aOffset + i] += b[bOffset + i];
    }
}
