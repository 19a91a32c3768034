package dev.akvq.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.akvq.tensor.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @Test
    void whatIsWrittenReadsBackThroughTheValidatingReader(@TempDir Path tmp) {
        float[] f = {1.5f, -0f, Float.NaN, Float.MIN_VALUE, 3e38f, -7f};
        long[] ids = {1, Long.MAX_VALUE, -5};
        Path file = tmp.resolve("out.safetensors");
        new SafetensorsWriter().f32("a \"quoted\" name", f, 2, 3).i64("ids", ids, 1, 3).write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            WeightTensor a = st.require("a \"quoted\" name");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertArrayEquals(f, a.toFloatArray());
            assertArrayEquals(ids, st.require("ids").toLongArray());
            assertEquals(0, st.dataStart() % 8, "header padded to 8 bytes");
        }
    }

    @Test
    void u8TensorsReadBackAsWritten(@TempDir Path tmp) {
        byte[] mask = {0, 1, (byte) 255, 7, 0, 1};
        Path file = tmp.resolve("mask.safetensors");
        new SafetensorsWriter().u8("mask", mask, 1, 2, 3).write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            WeightTensor m = st.require("mask");
            assertEquals(DType.U8, m.dtype());
            assertArrayEquals(new long[] {1, 2, 3}, m.shape());
            byte[] back = new byte[mask.length];
            for (int i = 0; i < back.length; i++) back[i] = m.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
            assertArrayEquals(mask, back);
        }
    }

    @Test
    void shapeThatDisagreesWithTheDataIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().f32("x", new float[5], 2, 3));
        assertEquals("tensor \"x\": shape [2, 3] holds 6 elements, data has 5", e.getMessage());
    }
}
