package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMemoryTest {
    @Test
    void readsKibibyteFieldsOfAStatusFile(@TempDir Path tmp) throws IOException {
        Path status = tmp.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   1000 kB\n");
        assertEquals(OptionalLong.of(123456L * 1024), ProcessMemory.field(status, "VmHWM:"));
        assertEquals(OptionalLong.of(1000L * 1024), ProcessMemory.field(status, "VmRSS:"));
        assertEquals(OptionalLong.empty(), ProcessMemory.field(status, "VmSwap:"));
        assertEquals(OptionalLong.empty(), ProcessMemory.field(tmp.resolve("missing"), "VmHWM:"));
        Files.writeString(status, "VmHWM:\tlots\n");
        assertEquals(OptionalLong.empty(), ProcessMemory.field(status, "VmHWM:"));
    }

    @Test
    void thePeakGrowsWithTouchedMemory() {   // Linux, as CI
        long before = ProcessMemory.peakResidentBytes().orElseThrow();
        byte[] touched = new byte[256 << 20];
        for (int i = 0; i < touched.length; i += 4096) touched[i] = 1;
        long after = ProcessMemory.peakResidentBytes().orElseThrow();
        assertTrue(ProcessMemory.residentBytes().orElseThrow() > 0 && touched[4096] == 1);
        assertTrue(after - before >= (200L << 20) || before >= (256L << 20), "peak " + before + " -> " + after);
    }
}
