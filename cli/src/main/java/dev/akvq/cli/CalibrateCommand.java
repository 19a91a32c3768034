package dev.akvq.cli;

import dev.akvq.model.eval.EvalRow;
import dev.akvq.model.PromptInput;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.eval.LayerCalibration;
import dev.akvq.quant.kv.AttentionCalibration;
import dev.akvq.quant.kv.KvLayerTable;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.config.ModelConfig;
import dev.akvq.weights.config.TextDecoderConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
                                      [--out FILE] [--threads N]

                Runs the FP32 prefill of the prompt with its images (laid out as 'akvq run' does for
                the model's family, e.g. LLaVA's "USER: Image 1: <image>\\n... {prompt} ASSISTANT:", or
                taken as written when it holds the image markers), or of every row of an evaluation
                set, and averages per layer the attention each text key token and each vision key
                token receives (over heads and the query positions that see it), leaving out the
                first 5 key positions. A layer is TSA while its text mean exceeds its vision mean,
                else PSA. Prints the table and writes it in the format --kv-layers reads
                ({"layers": ["TSA", ...]} with both means per layer).
                'akvq run', 'trace' and 'eval' pick DIR/akvq-layers.json up by themselves.

                Options:
                  --model DIR      a vision-language model directory (llava, idefics3, qwen2_vl)
                  --image FILE     an image of the prompt (repeat for several)
                  --prompt TEXT    the question
                  --set FILE       calibrate on the prompts of an evaluation set (JSON lines) instead
                  --limit N        with --set: the first N prompts
                  --out FILE       where to write the table (default DIR/akvq-layers.json)
                  --threads N      worker threads (default: all cores)

                Examples:
                  akvq calibrate --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --image tests/src/test/resources/fixtures/models/llava-shapes/eval_single/images/041.png \\
                      --prompt "What color is the triangle?" --out /tmp/llava-shapes-layers.json
                  akvq calibrate --model tests/src/test/resources/fixtures/models/llava-shapes \\
                      --set tests/src/test/resources/fixtures/models/llava-shapes/eval/prompts.jsonl --limit 8 \\
                      --out /tmp/llava-shapes-layers.json
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("model", "image", "prompt", "set", "limit", "out", "threads"), Set.of());
        Path dir = flags.existingDirectory("model");
        if (flags.has("set") == flags.has("prompt")) throw new UsageException("give either --prompt TEXT (with --image) or --set FILE");
        if (flags.has("set") && flags.has("image")) throw new UsageException("--image goes with --prompt; --set rows name their images");
        ModelConfig config = ModelConfig.load(dir);
        if (config instanceof TextDecoderConfig) {
            throw new UsageException("calibrate needs a vision-language model (llava, idefics3, qwen2_vl): TSA/PSA compares text and "
                    + "vision keys; " + dir + " is " + config.modelType());
        }
        Path output = flags.optional("out").map(Path::of).orElse(dir.resolve(KvLayerTable.FILE_NAME));
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());

        long start = System.nanoTime();
        int images = 0;
        AttentionCalibration statistic;
        try (VisionLanguageModel model = VisionLanguageModel.load(dir, threads)) {
            LayerCalibration calibration = new LayerCalibration(model);
            if (flags.has("prompt")) {
                List<Path> files = flags.all("image").stream().map(Path::of).toList();
                for (Path f : files) if (!Files.isRegularFile(f)) throw new UsageException("--image: " + f + " is not a file");
                if (files.isEmpty()) throw new UsageException("calibration needs at least one --image (vision key tokens)");
                calibration.add(PromptInput.text(flags.require("prompt")).withImageFiles(files));
                images = files.size();
            } else {
                Path set = Path.of(flags.require("set"));
                if (!Files.isRegularFile(set)) throw new UsageException("--set " + set + ": not a file");
                int limit = flags.optional("limit").isPresent() ? flags.positiveInt("limit", 0) : 0;
                for (EvalRow row : EvalRow.read(set, limit)) {
                    calibration.add(PromptInput.text(row.prompt()).withImageFiles(row.images()));
                    images += row.images().size();
                }
            }
            statistic = calibration.statistic();
            String source = String.format(Locale.ROOT, "FP32 prefill of %d prompt%s with %d image%s",
                    calibration.prompts(), calibration.prompts() == 1 ? "" : "s", images, images == 1 ? "" : "s");
            KvLayerTable table = statistic.table(output.toString());
            out.print(table(statistic, table, config.textConfig().numHiddenLayers()));
            statistic.write(output, source);
            err.printf(Locale.ROOT, "akvq calibrate: %s in %.2f s; wrote %s%n", source, (System.nanoTime() - start) / 1e9, output);
        }
        return 0;
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
