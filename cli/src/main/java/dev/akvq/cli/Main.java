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
                new ServeBenchCommand(),
                new BatchCommand());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; separate from {@link #main} so tests can call it. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("version"))) {
            out.println(version());
            return 0;
        }
        if (args.length == 2 && args[0].equals("help")) {
            Command command = find(args[1]);
            if (command == null) return unknownCommand(args[1], err);
            out.print(command.help());
            return 0;
        }
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(overview());
            return args.length == 0 ? 2 : 0;
        }
        Command command = find(args[0]);
        if (command == null) return unknownCommand(args[0], err);
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (asksForHelp(rest)) {
            out.print(command.help());
            return 0;
        }
        // As the user typed it: the launcher passes `akvq bench serve` as the command bench-serve.
        String shown = command.name().replaceFirst("^bench-", "bench ");
        try {
            dev.akvq.tensor.VectorWidth.SHAPE.vectorBitSize();      // a bad -Dakvq.vector.bits is named before any work
            return command.run(rest, out, err);
        } catch (ExceptionInInitializerError e) {
            err.println("akvq " + shown + ": " + e.getCause().getMessage());
            return 2;
        } catch (Flags.HelpRequested e) {
            out.print(command.help());
            return 0;
        } catch (UsageException e) {
            err.println("akvq " + shown + ": " + e.getMessage());
            err.println("See 'akvq " + shown + " --help'.");
            return 2;
        } catch (OutOfMemoryError e) {
            err.println("akvq " + shown + ": error: " + outOfMemory(e, Runtime.getRuntime().maxMemory()));
            if (Boolean.getBoolean("akvq.debug")) e.printStackTrace(err);
            return 1;
        } catch (Exception | StackOverflowError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("akvq " + shown + ": error: " + message);
            if (Boolean.getBoolean("akvq.debug")) e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * One line for an exhausted heap or direct-memory limit: which limit, how large it is, and how
     * to raise it. The launcher leaves the heap at the JVM's default (a quarter of RAM): weights and
     * the dense KV cache live off-heap, and the heap holds what the longest prompt's activations need
     * (README, "Memory"), so a prompt that needs more is rare, and a larger -Xmx is its remedy.
     */
    static String outOfMemory(OutOfMemoryError e, long maxHeapBytes) {
        String what = e.getMessage() == null ? "" : e.getMessage();
        if (what.toLowerCase(java.util.Locale.ROOT).contains("direct")) {
            return "out of direct memory (" + what + "). HINT: raise the limit, e.g. AKVQ_JAVA_OPTS=-XX:MaxDirectMemorySize=8g,"
                    + " or run fewer or shorter sequences";
        }
        return "out of Java heap (" + (what.isEmpty() ? "OutOfMemoryError" : what) + "; the heap may grow to "
                + InspectCommand.bytes(maxHeapBytes) + "). HINT: a long prompt's activations live on the heap: give the JVM more,"
                + " e.g. AKVQ_JAVA_OPTS=-Xmx" + Math.max(2, 2 * Math.ceilDiv(maxHeapBytes, 1L << 30)) + "g, or shorten the prompt";
    }

    private static Command find(String name) {
        return commands().stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    private static int unknownCommand(String name, PrintStream err) {
        err.println("akvq: unknown command '" + name + "'");
        err.print(overview());
        return 2;
    }

    /**
     * --help or -h that cannot be a flag's value: first, or after a value or a --flag=value. After a
     * bare --flag it may be that flag's value (--prompt -h), which the command's own parsing
     * decides ({@link Flags.HelpRequested}).
     */
    static boolean asksForHelp(String[] args) {
        for (int i = 0; i < args.length; i++) {
            boolean help = args[i].equals("--help") || args[i].equals("-h");
            if (help && (i == 0 || !args[i - 1].startsWith("--") || args[i - 1].contains("="))) return true;
        }
        return false;
    }

    /** {@code akvq --version}: the build's version and what the kernels run on, for bug reports. */
    static String version() {
        String version = "unknown";
        try (var in = Main.class.getResourceAsStream("/akvq-version.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                version = p.getProperty("version", version);
            }
        } catch (java.io.IOException ignored) {
            // reported as unknown
        }
        return "akvq " + version + " (Java " + Runtime.version() + ", " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length()
                + " float lanes" + ("false".equalsIgnoreCase(System.getProperty("akvq.vector")) ? ", scalar kernels" : "") + ")";
    }

    static String overview() {
        StringBuilder s = new StringBuilder();
        s.append("akvq: vision-language models on the CPU with a 2-bit AKVQ-VL KV cache\n\n");
        s.append("Usage: akvq <command> [options]      akvq <command> --help      akvq help <command>      akvq --version\n\nCommands:\n");
        s.append(String.format("  %-11s %s%n", "test", "run the whole test suite (Maven)"));
        s.append(String.format("  %-11s %s%n", "bench", "benchmarks: kernels | decoder | run | allocation | serve | throughput | JMH (akvq bench --help)"));
        for (Command c : commands()) s.append(String.format("  %-11s %s%n", c.name(), c.summary()));
        s.append("\nExamples:\n  akvq demo\n  akvq inspect --model path/to/checkpoint\n");
        return s.toString();
    }
}
