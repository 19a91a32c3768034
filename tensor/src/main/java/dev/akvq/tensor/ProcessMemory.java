package dev.akvq.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The process's resident memory as the kernel counts it, from {@code /proc/self/status}
 * (proc(5)): {@code VmHWM}, the peak resident set, and {@code VmRSS}, the current one. This is
 * what a user's {@code /usr/bin/time -v} reports as "Maximum resident set size": the Java heap,
 * off-heap KV caches and the pages of the memory-mapped weights that were touched, together.
 * Empty where the file does not exist (not Linux).
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    private static final Path STATUS = Path.of("/proc/self/status");

    /** Peak resident set size in bytes (VmHWM). */
    public static OptionalLong peakResidentBytes() {
        return field(STATUS, "VmHWM:");
    }

    /** Current resident set size in bytes (VmRSS). */
    public static OptionalLong residentBytes() {
        return field(STATUS, "VmRSS:");
    }

    /** A "Name:   1234 kB" line of a proc status file, in bytes. */
    static OptionalLong field(Path status, String name) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (!line.startsWith(name)) continue;
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                long value = Long.parseLong(parts[0]);
                return OptionalLong.of(parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value);
            }
        } catch (IOException | RuntimeException e) {
            // no such file or an unexpected format: unknown, never an error
        }
        return OptionalLong.empty();
    }
}
