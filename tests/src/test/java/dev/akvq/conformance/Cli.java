package dev.akvq.conformance;

import dev.akvq.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs one {@code akvq} command line in-process, as the launcher would, capturing both streams. */
final class Cli {
    private Cli() {}

    /** Exit status, stdout and stderr of one command line. */
    record Result(int status, String out, String err) {

        /**
         * The one error line of a failed command, whole (a test compares all of it, not a fragment):
         * exactly one stderr line holds {@code ": error: "} and nothing was written to stdout.
         */
        String errorLine() {
            List<String> lines = err.lines().filter(l -> l.contains(": error: ")).toList();
            if (lines.size() != 1 || !out.isEmpty()) {
                throw new AssertionError("expected one error line and no output; stdout:\n" + out + "\nstderr:\n" + err);
            }
            return lines.get(0);
        }

        /**
         * The message of a usage error (exit 2), whole: stderr is exactly that line and the
         * {@code See 'akvq COMMAND --help'.} line after it, and nothing was written to stdout.
         */
        String usageError() {
            List<String> lines = err.lines().toList();
            if (lines.size() != 2 || !lines.get(1).matches("See 'akvq [a-z]+ --help'\\.") || !out.isEmpty()) {
                throw new AssertionError("expected a usage line and the --help hint, no output; stdout:\n" + out + "\nstderr:\n" + err);
            }
            return lines.get(0);
        }
    }

    static Result akvq(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
