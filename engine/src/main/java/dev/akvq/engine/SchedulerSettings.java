package dev.akvq.engine;

/**
 * How a {@link BatchScheduler} shares the machine among requests.
 *
 * @param kvBudgetBytes  the bytes all running sequences' KV caches may hold together ({@code --kv-budget})
 * @param maxBatch       sequences decoded together at most (admission stops there even under the budget)
 * @param chunkTokens    prompt tokens one sequence runs per step ({@code --chunk}); a step's prompt rows
 *                       stay within this many, so running sequences keep streaming while a long
 *                       prompt is prefilled
 * @param queueCapacity  requests waiting for admission at most; a submit beyond it is refused
 */
public record SchedulerSettings(long kvBudgetBytes, int maxBatch, int chunkTokens, int queueCapacity) {
    public static final long DEFAULT_BUDGET = 2L << 30;
    public static final int DEFAULT_MAX_BATCH = 64, DEFAULT_CHUNK = 512, DEFAULT_QUEUE = 1024;

    public SchedulerSettings {
        if (kvBudgetBytes < 1) throw new IllegalArgumentException("--kv-budget must be > 0 bytes, got " + kvBudgetBytes);
        if (maxBatch < 1) throw new IllegalArgumentException("--max-batch must be >= 1, got " + maxBatch);
        if (chunkTokens < 1) throw new IllegalArgumentException("--chunk must be >= 1, got " + chunkTokens);
        if (queueCapacity < 1) throw new IllegalArgumentException("--queue must be >= 1, got " + queueCapacity);
    }

    /** 2 GiB, 64 sequences, chunks of 512 prompt tokens, 1024 waiting requests. */
    public static SchedulerSettings defaults() {
        return new SchedulerSettings(DEFAULT_BUDGET, DEFAULT_MAX_BATCH, DEFAULT_CHUNK, DEFAULT_QUEUE);
    }

    public SchedulerSettings withBudget(long bytes) {
        return new SchedulerSettings(bytes, maxBatch, chunkTokens, queueCapacity);
    }

    public SchedulerSettings withMaxBatch(int n) {
        return new SchedulerSettings(kvBudgetBytes, n, chunkTokens, queueCapacity);
    }

    public SchedulerSettings withChunk(int n) {
        return new SchedulerSettings(kvBudgetBytes, maxBatch, n, queueCapacity);
    }

    public SchedulerSettings withQueue(int n) {
        return new SchedulerSettings(kvBudgetBytes, maxBatch, chunkTokens, n);
    }

    /**
     * Parses a byte count as {@code --kv-budget} takes it: a whole number with an optional
     * binary unit, {@code 512MiB}, {@code 2GiB}, {@code 1.5GiB}, {@code 64KiB}, or a plain
     * number of bytes; {@code K/M/G} (and {@code KB/MB/GB}) are read as the binary units too.
     */
    public static long parseBytes(String text) {
        String t = text.trim();
        int split = 0;
        while (split < t.length() && (Character.isDigit(t.charAt(split)) || t.charAt(split) == '.')) split++;
        String number = t.substring(0, split), unit = t.substring(split).trim().toUpperCase(java.util.Locale.ROOT);
        long scale = switch (unit) {
            case "", "B" -> 1L;
            case "K", "KB", "KIB" -> 1L << 10;
            case "M", "MB", "MIB" -> 1L << 20;
            case "G", "GB", "GIB" -> 1L << 30;
            case "T", "TB", "TIB" -> 1L << 40;
            default -> throw new IllegalArgumentException("a byte count like 2GiB, 512MiB or 1048576 expected, got '" + text + "'");
        };
        try {
            double value = Double.parseDouble(number) * scale;
            if (value >= 1 && value < 9.0e18) return (long) value;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("a byte count like 2GiB, 512MiB or 1048576 expected, got '" + text + "'");
    }
}
