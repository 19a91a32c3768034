package dev.akvq.cli;

import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.eval.LayerCalibration;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.KvChannelStatistics;
import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** {@code akvq calibrate}: the TSA/PSA layer table of a vision-language model from FP32 attention (docs/akvq-vl.md, "Calibration"). */
final class CalibrateCommand implements Command {
    @Override
    public String name() {
        return "calibrate";
    }

    @Override
    public String summary() {
        return "label a VLM's layers TSA or PSA for the akvq cache";
    }

    @Override
    public String help() {
        return """
                akvq calibrate: label each decoder layer TSA or PSA from FP32 attention (docs/akvq-vl.md)

                Usage: akvq calibrate --model DIR (--image FILE... --prompt TEXT | --set FILE.jsonl [--limit N])
                                      [--save | --out FILE] [--threads N]

                Runs the FP32 prefill of the prompt with its images (laid out as 'akvq run' does for
                the model's family, e.g. LLaVA's "USER: Image 1: <image>\\n... {prompt} ASSISTANT:", or
                taken as written when it holds the image markers), or of every row of an evaluation
                set, and averages per layer the attention each text key token and each vision key
                token receives (over heads and the query positions that see it), leaving out the
                first 5 key positions and each query's own recent window. A layer is TSA while its
                text mean exceeds its vision mean, else PSA. Prints the table, and whether the TSA
                layers form a prefix of the model.

                The same prefill records each layer's largest |key|, |query| and |value| per KV head
                and channel: the calibration of the smoothquant (per-channel key scales) and skvq
                (channel order) caches, written as akvq-kv-channels.json.

                Nothing is written unless asked: --save writes DIR/akvq-layers.json and
                DIR/akvq-kv-channels.json, which 'akvq run', 'trace' and 'eval' then pick up by
                themselves (and say so); --out FILE writes the layer table to FILE (the format
                --kv-layers reads) and the channels beside it as FILE-stem.kv-channels.json (for
                --kv-channels). --out is checked before any work.

                Options:
                  --model DIR      a vision-language model directory (llava, idefics3, qwen2_vl)
                  --image FILE     an image of the prompt (repeat for several)
                  --prompt TEXT    the question
                  --set FILE       calibrate on the prompts of an evaluation set (JSON lines) instead
                  --limit N        with --set: the first N prompts
                  --save           write both files next to the model
                  --out FILE       write the layer table to FILE (and the channels beside it) instead
                  --threads N      worker threads (default: all cores)

                Examples:
                  akvq calibrate --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --image tests/src/test/resources/fixtures/models/llava-shapes/eval_single/images/041.png \\
                      --prompt "What color is the triangle?"
                  akvq calibrate --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --set tests/src/test/resources/fixtures/models/llava-shapes/eval/prompts.jsonl --limit 8 \\
                      --out /tmp/llava-shapes-layers.json
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("model", "image", "prompt", "set", "limit", "out", "threads"), Set.of("save"));
        Path dir = flags.existingDirectory("model");
        if (flags.has("set") == flags.has("prompt")) throw new UsageException("give either --prompt TEXT (with --image) or --set FILE");
        if (flags.has("set") && flags.has("image")) throw new UsageException("--image goes with --prompt; --set rows name their images");
        ModelConfig config = ModelConfig.load(dir);
        if (config instanceof TextDecoderConfig) {
            throw new UsageException("calibrate needs a vision-language model (llava, idefics3, qwen2_vl): TSA/PSA compares text and "
                    + "vision keys; " + dir + " is " + config.modelType());
        }
        if (flags.has("save") && flags.has("out")) throw new UsageException("give --save (next to the model) or --out FILE, not both");
        Optional<Path> output = flags.has("save") ? Optional.of(dir.resolve(KvLayerTable.FILE_NAME)) : flags.optional("out").map(Path::of);
        Optional<Path> channelsOutput = flags.has("save") ? Optional.of(dir.resolve(KvChannelStatistics.FILE_NAME))
                : output.map(CalibrateCommand::channelsBeside);
        for (Path p : List.of(output, channelsOutput).stream().flatMap(Optional::stream).toList()) checkWritable(p);
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());

        long start = System.nanoTime();
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads)) {
            LayerCalibration calibration = new LayerCalibration(model);
            // Ctrl-C: the prompt in flight finishes and what is done is printed (and written when asked).
            EvalCommand.untilCtrlC(stop -> addPrompts(calibration, flags, stop, start, err), images -> {
                AttentionCalibration statistic = calibration.statistic();
                String source = String.format(Locale.ROOT, "FP32 prefill of %d prompt%s with %d image%s",
                        calibration.prompts(), calibration.prompts() == 1 ? "" : "s", images, images == 1 ? "" : "s");
                KvLayerTable table = statistic.table(output.map(Path::toString).orElse("calibrated"));
                int layers = config.textConfig().numHiddenLayers();
                out.print(table(statistic, table, layers));
                out.println(prefixNote(table, layers));
                KvChannelStatistics channels = calibration.channels();
                out.print(channelTable(channels, config.textConfig().numKeyValueHeads()));
                err.printf(Locale.ROOT, "akvq calibrate: %s in %.2f s%n", source, (System.nanoTime() - start) / 1e9);
                if (output.isPresent()) {
                    statistic.write(output.get(), source);
                    channels.write(channelsOutput.get(), source);
                    err.println("akvq calibrate: wrote " + output.get() + " and " + channelsOutput.get());
                } else {
                    err.println("akvq calibrate: nothing written (--save writes both files next to the model, --out FILE elsewhere)");
                }
            });
        }
        return 0;
    }

    /** Runs the prompts of {@code --prompt} or {@code --set} through {@code calibration} until done or {@code stop}; returns the images seen. */
    private static int addPrompts(LayerCalibration calibration, Flags flags, java.util.concurrent.atomic.AtomicBoolean stop,
                                  long start, PrintStream err) {
        if (flags.has("prompt")) {
            List<Path> files = flags.all("image").stream().map(Path::of).toList();
            for (Path f : files) if (!Files.isRegularFile(f)) throw new UsageException("--image: " + f + " is not a file");
            if (files.isEmpty()) throw new UsageException("calibration needs at least one --image (vision key tokens)");
            calibration.add(PromptInput.text(flags.require("prompt")).withImageFiles(files));
            return files.size();
        }
        Path set = Path.of(flags.require("set"));
        if (!Files.isRegularFile(set)) throw new UsageException("--set " + set + ": not a file");
        int limit = flags.optional("limit").isPresent() ? flags.positiveInt("limit", 0) : 0;
        List<EvalRow> rows = EvalRow.read(set, limit);
        int images = 0;
        for (EvalRow row : rows) {
            if (stop.get()) {
                err.println("\nakvq calibrate: stopped by Ctrl-C after " + calibration.prompts() + " of " + rows.size() + " prompts");
                break;
            }
            calibration.add(row.promptInput());
            images += row.images().size();
            err.printf(Locale.ROOT, "\rakvq calibrate: %d/%d prompts (%.1f s)%s", calibration.prompts(), rows.size(),
                    (System.nanoTime() - start) / 1e9, calibration.prompts() == rows.size() ? "\n" : "");
        }
        return images;
    }

    /** {@code x/layers.json} -> {@code x/layers.kv-channels.json}. */
    static Path channelsBeside(Path layerFile) {
        String name = layerFile.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return layerFile.resolveSibling(stem + ".kv-channels.json");
    }

    /** Before any work: the file's folder exists and the file is not a folder or read-only. */
    private static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new UsageException("--out " + file + ": folder " + parent + " does not exist");
        if (Files.isDirectory(file)) throw new UsageException("--out " + file + ": is a folder; give a file name");
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(parent)) {
            throw new UsageException("cannot write " + file + " (permission denied)");
        }
    }

    /** Whether the TSA layers form a prefix (as the published LLaVA tables do), in one line. */
    static String prefixNote(KvLayerTable table, int layers) {
        int tsa = 0, firstPsa = layers;
        for (int l = 0; l < layers; l++) {
            if (table.pattern(l) == dev.akvq.quant.kv.LayerPattern.TSA) tsa++;
            else firstPsa = Math.min(firstPsa, l);
        }
        boolean prefix = tsa == firstPsa;
        return String.format(Locale.ROOT, "%d of %d layers TSA; %s", tsa, layers,
                prefix ? "they form a prefix (layers 0-" + (tsa - 1) + ")" + (tsa == 0 ? " (none)" : "")
                        : "they do not form a prefix (a PSA layer comes before a TSA layer)");
    }

    /** Per layer, the keys' largest channel over their median channel, min and max over KV heads (outlier channels). */
    static String channelTable(KvChannelStatistics channels, int kvHeads) {
        StringBuilder b = new StringBuilder("key channels, max/median of max|k| per KV head:\n");
        for (int l = 0; l < channels.layers(); l++) {
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (int h = 0; h < kvHeads; h++) {
                lo = Math.min(lo, channels.keyOutlierRatio(l, h));
                hi = Math.max(hi, channels.keyOutlierRatio(l, h));
            }
            b.append(String.format(Locale.ROOT, "%5d  %6.1f - %6.1f%n", l, lo, hi));
        }
        return b.toString();
    }

    static String table(AttentionCalibration statistic, KvLayerTable table, int layers) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%5s  %12s  %12s  %11s  %s%n", "layer", "text mean",
                "vision mean", "text/vision", "label"));
        for (int l = 0; l < layers; l++) {
            double t = statistic.textMean(l), v = statistic.visionMean(l);
            b.append(String.format(Locale.ROOT, "%5d  %12.4e  %12.4e  %11.2f  %s%n", l, t, v, t / v, table.pattern(l)));
        }
        return b.toString();
    }
}
