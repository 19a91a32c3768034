package dev.akvq.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of the {@code akvq} command line: picks the command, turns every failure into one
 * clear line on stderr and an exit status (0 ok, 1 failed, 2 bad usage). Library code never
 * exits the JVM; only this class does.
 */
public final class Main {
    private Main() {}

    static List<Command> commands() {
        return List.of(
                new DemoCommand(),
                new InspectCommand(),
                new RunCommand(),
                new TraceCommand(),
                new PreprocessCommand(),
                new EvalCommand(),
                new CalibrateCommand(),
                new TokenizeCommand(),
                new TemplateCommand(),
                new ServeCommand(),
                new ServeBenchCommand());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; separate from {@link #main} so tests can call it. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(overview());
            return args.length == 0 ? 2 : 0;
        }
        Command command = commands().stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (command == null) {
            err.println("akvq: unknown command '" + args[0] + "'");
            err.print(overview());
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            out.print(command.help());
            return 0;
        }
        try {
            return command.run(rest, out, err);
        } catch (UsageException e) {
            err.println("akvq " + command.name() + ": " + e.getMessage());
            err.println("See 'akvq " + command.name() + " --help'.");
            return 2;
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("akvq " + command.name() + ": error: " + message);
            if (Boolean.getBoolean("akvq.debug")) e.printStackTrace(err);
            return 1;
        }
    }

    static String overview() {
        StringBuilder s = new StringBuilder();
        s.append("akvq: vision-language models on the CPU with a 2-bit AKVQ-VL KV cache\n\n");
        s.append("Usage: akvq <command> [options]      akvq <command> --help\n\nCommands:\n");
        s.append(String.format("  %-11s %s%n", "test", "run the whole test suite (Maven)"));
        s.append(String.format("  %-11s %s%n", "bench", "benchmarks: kernels | decoder | serve | JMH arguments"));
        for (Command c : commands()) s.append(String.format("  %-11s %s%n", c.name(), c.summary()));
        s.append("\nExamples:\n  akvq demo\n  akvq inspect --model path/to/checkpoint\n");
        return s.toString();
    }
}
