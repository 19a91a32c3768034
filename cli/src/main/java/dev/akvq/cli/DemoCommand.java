package dev.akvq.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code akvq demo}: shows what the engine does on the checkpoints bundled with the repository.
 * For now it inspects them (loading, validating and accounting every tensor); it grows as the
 * decoder, the vision towers and the AKVQ-VL cache land.
 */
final class DemoCommand implements Command {
    /** Bundled checkpoints, relative to the fixtures' models/ folder. */
    static final List<String> BUNDLED = List.of("llava-shapes", "llama", "llama/bf16", "llava", "llava/bf16",
            "idefics3", "idefics3/bf16", "qwen2vl", "qwen2vl/bf16");

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "show what the engine does on the bundled checkpoints";
    }

    @Override
    public String help() {
        return """
                akvq demo: show what the engine does on the bundled checkpoints

                Usage: akvq demo [--fixtures DIR]

                Loads each checkpoint bundled under tests/src/test/resources/fixtures/models
                (memory-mapped, every header validated) and checks it against its architecture,
                as 'akvq inspect' does.

                Options:
                  --fixtures DIR   another fixtures folder (default: the repository's copy)

                Examples:
                  akvq demo
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("fixtures"), Set.of());
        Path models = flags.optional("fixtures").map(Path::of).orElseGet(DemoCommand::bundledFixtures).resolve("models");
        if (!Files.isDirectory(models)) {
            throw new UsageException("no fixtures at " + models + " (expected the repository's "
                    + "tests/src/test/resources/fixtures; give --fixtures DIR)");
        }
        int failed = 0;
        for (String name : BUNDLED) {
            Path dir = models.resolve(name);
            out.println("== " + name);
            long start = System.nanoTime();
            failed += InspectCommand.inspect(dir, out, err) == 0 ? 0 : 1;
            out.printf("loaded and checked in %.1f ms%n%n", (System.nanoTime() - start) / 1e6);
        }
        out.println("Next: the decoder, the vision towers and the AKVQ-VL cache (see README, 'What works now').");
        return failed == 0 ? 0 : 1;
    }

    private static Path bundledFixtures() {
        String home = System.getProperty("akvq.home", ".");
        return Path.of(home, "tests", "src", "test", "resources", "fixtures");
    }
}
