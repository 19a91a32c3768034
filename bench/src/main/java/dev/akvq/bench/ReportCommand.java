package dev.akvq.bench;

import dev.akvq.cli.Flags;
import dev.akvq.cli.UsageException;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/**
 * One {@code ./akvq bench} report as a command, behaving as the CLI's commands do
 * ({@code dev.akvq.cli.Main}): {@code --help} or {@code -h} prints {@link #help} (it ends with
 * examples) to stdout and exits 0; a bad flag or argument prints one line naming it and a pointer
 * to the help on stderr and exits 2; a failure prints one line and exits 1
 * ({@code -Dakvq.debug=true} adds its stack trace). Flags are parsed by the CLI's {@link Flags}.
 *
 * <p>{@link #main} is {@code ./akvq bench --help}: the list of reports.
 *
 * @param name    the subcommand after {@code ./akvq bench}
 * @param summary one line for the list of reports
 * @param help    the whole {@code --help} text
 */
record ReportCommand(String name, String summary, String help) {

    /** What a report does with its arguments; it throws {@link UsageException} for a bad one. */
    interface Body {
        void run(String[] args) throws Exception;
    }

    /** The reports, in the order {@code ./akvq bench --help} lists them. */
    static List<ReportCommand> all() {
        return List.of(KernelReport.COMMAND, DecoderReport.COMMAND, RunReport.COMMAND, DecodeAllocationReport.COMMAND,
                ThroughputReport.COMMAND);
    }

    /** {@code ./akvq bench --help}. */
    public static void main(String[] args) {
        System.out.print(overview());
    }

    static String overview() {
        StringBuilder s = new StringBuilder("akvq bench: the benchmarks behind the README's speed and memory figures\n\n");
        s.append("Usage: ./akvq bench <report> [options]      ./akvq bench <report> --help\n");
        s.append("       ./akvq bench [JMH benchmark name] [JMH options]      (./akvq bench -h lists JMH's options)\n\nReports:\n");
        for (ReportCommand c : all()) s.append(String.format("  %-11s %s%n", c.name, c.summary));
        s.append(String.format("  %-11s %s%n", "serve", "load test of ./akvq serve per KV mode"));
        s.append("""

                Examples:
                  ./akvq bench kernels
                  ./akvq bench run --runs 3 --threads 2
                  ./akvq bench throughput 2 budget
                  ./akvq bench ChatTemplateBench -f 1 -wi 5 -w 1 -i 5 -r 1
                """);
        return s.toString();
    }

    /** Runs {@code body} under the rules above and exits the JVM with its status (a report's main only). */
    void main(String[] args, Body body) {
        System.exit(run(args, body, System.out, System.err));
    }

    /** The status of {@code body} on {@code args}; separate from {@link #main(String[], Body)} for tests. */
    int run(String[] args, Body body, PrintStream out, PrintStream err) {
        // No report takes -h as a flag's value, so --help or -h anywhere asks for help.
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            out.print(help);
            return 0;
        }
        try {
            body.run(args);
            return 0;
        } catch (UsageException e) {
            err.println("akvq bench " + name + ": " + e.getMessage());
            err.println("See './akvq bench " + name + " --help'.");
            return 2;
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("akvq bench " + name + ": error: " + message);
            if (Boolean.getBoolean("akvq.debug")) e.printStackTrace(err);
            return 1;
        }
    }

    /** The report's flags, each taking a value; any other argument is a usage error naming it. */
    Flags flags(String[] args, String... withValue) {
        return Flags.parse("bench " + name, args, Set.of(withValue), Set.of());
    }

    /**
     * {@code text} as a whole number of at least {@code min}, or a usage error naming {@code what}
     * (a flag such as {@code --warm} or a positional argument such as {@code THREADS}).
     */
    static int atLeast(String what, String text, int min) {
        try {
            int v = Integer.parseInt(text);
            if (v >= min) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the argument's name
        }
        throw new UsageException(what + " expects a whole number >= " + min + ", got '" + text + "'");
    }

    /** Flag {@code --name} as {@link #atLeast}, or {@code defaultValue} when absent. */
    static int atLeast(Flags flags, String name, int min, int defaultValue) {
        return flags.optional(name).map(text -> atLeast("--" + name, text, min)).orElse(defaultValue);
    }
}
