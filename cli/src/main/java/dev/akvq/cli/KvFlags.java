package dev.akvq.cli;

import dev.akvq.quant.kv.KeyValueStore;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvFootprint;
import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.quant.kv.PivotRule;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The KV-cache flags, parsed in one place for every command that decodes ({@code run},
 * {@code trace}, and {@code eval}): {@code --kv MODE} and the settings of {@link KvCacheSettings}.
 * Without {@code --kv-layers}, the layer table is the model directory's {@code akvq-layers.json}
 * if it has one, else the default of docs/akvq-vl.md (the LLaVA-1.5 rows).
 */
final class KvFlags {
    private KvFlags() {}

    static final Set<String> WITH_VALUE = Set.of("kv", "kv-window", "kv-pivots", "kv-group", "kv-clip2", "kv-clip4",
            "kv-pivot-rule", "kv-rotation", "kv-layers", "kv-residual", "kv-sink", "kv-smooth-alpha", "kv-channels",
            "kv-key-block");
    static final Set<String> SWITCHES = Set.of("kv-prefill-quantized", "kv-stats");

    /** The options block for a command's {@code --help}. */
    static final String HELP = """
              --kv MODE            fp32 (default), fp16, rtn2, rtn4, kivi2, kivi4, sink, smoothquant, skvq, akvq, akvq-kc
                                   (akvq-kc: akvq's forms with keys quantized per channel as KIVI's)
              --kv-window N        recent tokens kept FP16 (default 128 for akvq, sink, skvq; 0 for rtn2, rtn4, smoothquant)
              --kv-pivots N        akvq: pivot tokens per PSA layer (default 15)
              --kv-pivot-rule R    akvq: entries (default: the N largest |h| entries) or tokens (N tokens by max |h|)
              --kv-group N         channels per quantization group (default 128, or head_dim if smaller); kivi: tokens
                                   per key block and channels per value group (default 32)
              --kv-residual N      kivi: FP16 residual tokens, a multiple of the group (default 128)
              --kv-key-block N     akvq-kc: tokens per key block (each channel quantized over N tokens of a segment;
                                   default 32)
              --kv-sink N          sink, skvq: first tokens kept FP16 (default 4)
              --kv-smooth-alpha X  smoothquant: migration strength (default 0.5)
              --kv-channels FILE   smoothquant, skvq: the KV channel calibration (default: akvq-kv-channels.json in the
                                   model directory, written by akvq calibrate --save)
              --kv-clip2 X         clip ratio of INT2 groups (default 0.8 for akvq, 0.9 for skvq, 1.0 otherwise)
              --kv-clip4 X         akvq, rtn4: clip ratio of INT4 groups (default 1.0)
              --kv-rotation on|off Walsh-Hadamard rotation of keys and values (default on for akvq, off otherwise)
              --kv-layers FILE     akvq: TSA/PSA per layer, a JSON file {"layers": ["TSA", "PSA", ...]} or a preset:
                                   llava-1.5 (also llava-1.6-vicuna: layers 0-1 TSA, rest PSA), llava-1.6-mistral
                                   (all PSA). Default: akvq-layers.json in the model directory, else llava-1.5
              --kv-prefill-quantized  the prompt attends over the quantized cache (default: over unquantized K/V)
              --kv-stats           print the cache's exact bytes per layer and segment and bits per value (stderr)
            The ablation ladder, one change per rung: --kv rtn2; + --kv-rotation on; + TSA (akvq --kv-window 0
            --kv-pivots 0 --kv-clip2 1.0: text INT4 in TSA layers); + INT2 clip 0.8; + pivots 15; + FP16 window 128 (akvq).
            """;

    /** Flags a decoding command accepts beyond its own. */
    static Set<String> withValue(Set<String> own) {
        Set<String> all = new HashSet<>(own);
        all.addAll(WITH_VALUE);
        return all;
    }

    static Set<String> switches(Set<String> own) {
        Set<String> all = new HashSet<>(own);
        all.addAll(SWITCHES);
        return all;
    }

    /** The settings the flags give, for the model in {@code modelDirectory}. */
    static KvCacheSettings parse(Flags flags, Path modelDirectory) {
        KvMode mode;
        try {
            mode = KvMode.parse(flags.optional("kv").orElse("fp32"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kv: " + e.getMessage());
        }
        KvCacheSettings d = KvCacheSettings.defaults(mode);
        int window = count(flags, "kv-window", d.window());
        int pivots = count(flags, "kv-pivots", d.pivots());
        int group = count(flags, "kv-group", d.group());
        if (group < 1) throw new UsageException("--kv-group expects a positive whole number, got " + group);
        float clip2 = ratio(flags, "kv-clip2", d.clip2()), clip4 = ratio(flags, "kv-clip4", d.clip4());
        PivotRule rule;
        try {
            rule = flags.optional("kv-pivot-rule").map(PivotRule::parse).orElse(d.pivotRule());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kv-pivot-rule: " + e.getMessage());
        }
        boolean rotation = flags.optional("kv-rotation").map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new UsageException("--kv-rotation expects on or off, got '" + v + "'");
        }).orElse(d.rotation());
        // Only AKVQ-VL (and akvq-kc) reads a layer table; a model's akvq-layers.json never stands in the way of another mode.
        KvLayerTable layers = mode.readsLayerTable() || flags.has("kv-layers")
                ? layerTable(flags.optional("kv-layers"), modelDirectory) : KvLayerTable.DEFAULT;
        int residual = count(flags, "kv-residual", d.residual()), sink = count(flags, "kv-sink", d.sink());
        int keyBlock = count(flags, "kv-key-block", d.keyBlock());
        float alpha = flags.optional("kv-smooth-alpha").map(v -> {
            try {
                float a = Float.parseFloat(v);
                if (a >= 0 && a <= 1) return a;
            } catch (NumberFormatException ignored) {
                // reported below with the flag's name
            }
            throw new UsageException("--kv-smooth-alpha expects a number in [0, 1], got '" + v + "'");
        }).orElse(d.smoothAlpha());
        Optional<KvChannelStatistics> channels = mode.needsChannelCalibration() || flags.has("kv-channels")
                ? channelCalibration(flags.optional("kv-channels"), modelDirectory, mode) : Optional.empty();
        try {
            return new KvCacheSettings(mode, window, pivots, group, clip2, clip4, rule, flags.has("kv-prefill-quantized"), rotation,
                    layers, residual, sink, alpha, channels, keyBlock);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * One line for stderr saying where the settings' calibration comes from (akvq's layer table;
     * smoothquant/skvq's channel file), so a model is never silently given LLaVA-1.5's rows; empty
     * for modes that read neither.
     */
    static Optional<String> calibrationNote(Flags flags, KvCacheSettings settings, Path modelDirectory) {
        if (settings.mode().readsLayerTable()) {
            if (flags.has("kv-layers")) return Optional.of("akvq: layer table " + settings.layers().name() + " (--kv-layers)");
            if (modelDirectory != null && Files.isRegularFile(modelDirectory.resolve(KvLayerTable.FILE_NAME))) {
                return Optional.of("akvq: layer table " + modelDirectory.resolve(KvLayerTable.FILE_NAME) + " (found next to the model)");
            }
            return Optional.of("akvq: no " + KvLayerTable.FILE_NAME + " next to the model: using the published LLaVA-1.5 rows (layers"
                    + " 0-1 TSA, the rest PSA), which fit LLaVA-1.5/1.6-Vicuna only. HINT: akvq calibrate --model " + modelDirectory
                    + " --set FILE --save labels this model's own layers");
        }
        if (settings.mode().needsChannelCalibration() && !flags.has("kv-channels") && modelDirectory != null) {
            return Optional.of("akvq: KV channel calibration " + modelDirectory.resolve(KvChannelStatistics.FILE_NAME)
                    + " (found next to the model)");
        }
        return Optional.empty();
    }

    /** {@code --kv-channels FILE}, else the model's {@code akvq-kv-channels.json}; a mode that needs one and finds none is told how to make it. */
    private static Optional<KvChannelStatistics> channelCalibration(Optional<String> given, Path modelDirectory, KvMode mode) {
        if (given.isPresent()) {
            Path file = Path.of(given.get());
            if (!Files.isRegularFile(file)) throw new UsageException("--kv-channels " + file + ": not a file");
            return Optional.of(KvChannelStatistics.read(file));
        }
        Optional<KvChannelStatistics> found = modelDirectory == null ? Optional.empty() : KvChannelStatistics.findNextTo(modelDirectory);
        if (found.isEmpty()) {
            throw new UsageException("--kv " + mode.flag() + " needs the model's KV channel calibration: no "
                    + KvChannelStatistics.FILE_NAME + " in " + modelDirectory + ". HINT: akvq calibrate --model " + modelDirectory
                    + " --set FILE --save, or --kv-channels FILE");
        }
        return found;
    }

    /** The --kv-... flags each mode reads (--kv-stats applies to every mode). */
    static Set<String> applying(KvMode mode) {
        return switch (mode) {
            case FP32, FP16 -> Set.of("kv-rotation", "kv-stats");
            case RTN2, RTN4 -> Set.of("kv-group", mode == KvMode.RTN2 ? "kv-clip2" : "kv-clip4", "kv-window", "kv-rotation",
                    "kv-prefill-quantized", "kv-stats");
            case KIVI2, KIVI4 -> Set.of("kv-group", "kv-residual", "kv-rotation", "kv-prefill-quantized", "kv-stats");
            case SINK -> Set.of("kv-group", "kv-clip2", "kv-window", "kv-sink", "kv-rotation", "kv-prefill-quantized", "kv-stats");
            case SMOOTHQUANT -> Set.of("kv-group", "kv-clip2", "kv-window", "kv-smooth-alpha", "kv-channels", "kv-rotation",
                    "kv-prefill-quantized", "kv-stats");
            case SKVQ -> Set.of("kv-group", "kv-clip2", "kv-window", "kv-sink", "kv-channels", "kv-rotation", "kv-prefill-quantized",
                    "kv-stats");
            case AKVQ -> Set.of("kv-window", "kv-pivots", "kv-group", "kv-clip2", "kv-clip4", "kv-pivot-rule", "kv-rotation",
                    "kv-layers", "kv-prefill-quantized", "kv-stats");
            case AKVQ_KC -> Set.of("kv-window", "kv-pivots", "kv-group", "kv-key-block", "kv-clip2", "kv-clip4", "kv-pivot-rule",
                    "kv-rotation", "kv-layers", "kv-prefill-quantized", "kv-stats");
        };
    }

    /** For a command of one mode (run, trace): every --kv-... flag applies to it, and an explicit --kv-group fits a head. */
    static void requireHonoured(Flags flags, KvCacheSettings settings, int headDim, Path modelDirectory) {
        requireApplicable(flags, settings.mode());
        requireGroupFits(flags, settings, headDim, modelDirectory);
    }

    /** Refuses a --kv-... flag the chosen mode does not read: an option is honoured or refused, never dropped. */
    static void requireApplicable(Flags flags, KvMode mode) {
        Set<String> applies = applying(mode);
        for (String flag : new java.util.TreeSet<>(flags.names())) {
            if (!flag.startsWith("kv-") || applies.contains(flag) || flag.equals("kv-bits")) continue;   // --kv-bits: eval's view, every mode
            List<String> modes = new ArrayList<>();
            for (KvMode m : KvMode.values()) if (applying(m).contains(flag)) modes.add(m.flag());
            throw new UsageException("--" + flag + " does not apply to --kv " + mode.flag() + " (it applies to --kv " + String.join(", ", modes) + ")");
        }
    }

    /** An explicit --kv-group must fit in one head (the default, 128, shrinks to head_dim as the spec says). */
    static void requireGroupFits(Flags flags, KvCacheSettings settings, int headDim, Path modelDirectory) {
        if (flags.has("kv-group") && settings.group() > headDim) {
            throw new UsageException("--kv-group " + settings.group() + " is larger than head_dim " + headDim + " of " + modelDirectory
                    + ": a group holds at most one head's channels");
        }
    }

    private static KvLayerTable layerTable(Optional<String> given, Path modelDirectory) {
        if (given.isPresent()) {
            String g = given.get();
            Optional<KvLayerTable> preset = KvLayerTable.preset(g);
            if (preset.isPresent()) return preset.get();
            Path file = Path.of(g);
            if (!Files.isRegularFile(file)) {
                throw new UsageException("--kv-layers " + g + ": neither a file nor a preset (llava-1.5, llava-1.6-vicuna,"
                        + " llava-1.6-mistral)");
            }
            return KvLayerTable.read(file);
        }
        return modelDirectory == null ? KvLayerTable.DEFAULT : KvLayerTable.findNextTo(modelDirectory).orElse(KvLayerTable.DEFAULT);
    }

    private static int count(Flags flags, String name, int defaultValue) {
        Optional<String> text = flags.optional(name);
        if (text.isEmpty()) return defaultValue;
        try {
            int v = Integer.parseInt(text.get());
            if (v >= 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + name + " expects a whole number >= 0, got '" + text.get() + "'");
    }

    private static float ratio(Flags flags, String name, float defaultValue) {
        Optional<String> text = flags.optional(name);
        if (text.isEmpty()) return defaultValue;
        try {
            float v = Float.parseFloat(text.get());
            if (v > 0 && v <= 1) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + name + " expects a ratio in (0, 1], got '" + text.get() + "'");
    }

    /** {@code --kv-stats}: exact bytes per layer, per segment over all layers, and bits per value, on stderr. */
    static void printStats(List<KeyValueStore> cache, KvCacheSettings settings, PrintStream err) {
        List<KvFootprint> layers = new ArrayList<>();
        for (KeyValueStore store : cache) layers.add(store.footprint());
        printStats(layers, settings.describe(), err);
    }

    /** {@code --kv-stats} from each layer's footprint (for eval: summed over the prompts). */
    static void printStats(List<KvFootprint> layers, String heading, PrintStream err) {
        err.println("akvq kv-stats: " + heading);
        for (int l = 0; l < layers.size(); l++) {
            KvFootprint f = layers.get(l);
            err.printf(Locale.ROOT, "  layer %d: %d B, %.4f bits per value%n", l, f.bytes(), f.bitsPerValue());
        }
        err.println("  all layers:");
        err.println(KvFootprint.sum(layers).describe("    "));
    }
}
