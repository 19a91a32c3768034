package dev.akvq.conformance;

import dev.akvq.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs one {@code akvq} command line in-process, as the launcher would, capturing both streams. */
final class Cli {
    private Cli() {}

    /** Exit status, stdout and stderr of one command line. */
    record Result(int status, String out, String err) {}

    static Result akvq(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
