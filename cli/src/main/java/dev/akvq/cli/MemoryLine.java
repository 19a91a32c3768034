package dev.akvq.cli;

import dev.akvq.tensor.ProcessMemory;
import java.util.OptionalLong;

/**
 * The memory a command reports: the process's peak resident memory (what {@code /usr/bin/time
 * -v} calls the maximum resident set size: heap, KV caches and the weight pages read, together)
 * next to the bytes of the mapped weights and of the KV cache, not the Java heap in use, which
 * moves with the garbage collector's timing.
 */
final class MemoryLine {
    private MemoryLine() {}

    static String of(long mappedWeightBytes, long kvBytes, int cachedTokens) {
        OptionalLong peak = ProcessMemory.peakResidentBytes();
        return "memory: peak resident " + (peak.isPresent() ? InspectCommand.bytes(peak.getAsLong()) : "unknown (no /proc/self/status)")
                + "; weights mapped " + InspectCommand.bytes(mappedWeightBytes) + "; KV cache " + InspectCommand.bytes(kvBytes)
                + " for " + cachedTokens + " tokens";
    }
}
