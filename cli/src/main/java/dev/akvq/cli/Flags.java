package dev.akvq.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parsed flags of one command. Each command declares the flags it knows; anything else is
 * an error naming the flag. Accepts {@code --name value}, {@code --name=value}, repeated flags
 * (kept in order) and switches without a value.
 */
public final class Flags {
    private final String command;
    private final Map<String, List<String>> values;

    private Flags(String command, Map<String, List<String>> values) {
        this.command = command;
        this.values = values;
    }

    /**
     * @param withValue flags that take a value (without the leading dashes)
     * @param switches  flags that take none
     */
    public static Flags parse(String command, String[] args, Set<String> withValue, Set<String> switches) {
        // --help or -h where a flag may stand asks for help, whatever else is wrong; as a flag's
        // value (--prompt -h) it is that value
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) throw new HelpRequested();
            if (args[i].startsWith("--") && !args[i].contains("=") && withValue.contains(args[i].substring(2))) i++;
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "': every option is a --flag");
            }
            String name = arg.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (inline != null) throw new UsageException("--" + name + " takes no value");
                values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (withValue.contains(name)) {
                String value = inline;
                if (value == null) {
                    if (i + 1 >= args.length) throw new UsageException("--" + name + " needs a value");
                    value = args[++i];
                }
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageException("unknown option --" + name + " for '" + command + "'");
            }
        }
        return new Flags(command, values);
    }

    /** Thrown by {@link #parse} when the arguments ask for the command's help. */
    static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super("help requested", null, false, false);
        }
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Optional<String> optional(String name) {
        List<String> list = values.get(name);
        if (list == null) return Optional.empty();
        if (list.size() > 1) throw new UsageException("--" + name + " given " + list.size() + " times; give it once");
        return Optional.of(list.get(0));
    }

    public String require(String name) {
        return optional(name).orElseThrow(() -> new UsageException(
                "'" + command + "' needs --" + name));
    }

    /** The flags given, without dashes. */
    public Set<String> names() {
        return values.keySet();
    }

    /**
     * --threads, by default every core. More threads than cores only share them and slow the
     * kernels' barriers, so a larger number is capped at the core count with a note on {@code err}.
     */
    public int threads(java.io.PrintStream err) {
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = positiveInt("threads", dev.akvq.tensor.WorkerPool.defaultThreads());
        if (threads <= cores) return threads;
        err.println("akvq " + command + ": note: --threads " + threads + " is more than the " + cores + " cores; using " + cores);
        return cores;
    }

    public List<String> all(String name) {
        return List.copyOf(values.getOrDefault(name, List.of()));
    }

    /** A positive whole number, or the default when the flag is absent. */
    public int positiveInt(String name, int defaultValue) {
        Optional<String> text = optional(name);
        if (text.isEmpty()) return defaultValue;
        try {
            int v = Integer.parseInt(text.get());
            if (v > 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the flag's name
        }
        throw new UsageException("--" + name + " expects a positive whole number, got '" + text.get() + "'");
    }

    /**
     * A directory that must exist. One wording for a missing path everywhere: "--flag PATH: no
     * such directory" (or "no such file"), the path as given, so its folder shows.
     */
    public Path existingDirectory(String name) {
        Path dir = Path.of(require(name));
        if (!Files.isDirectory(dir)) {
            throw new UsageException("--" + name + " " + dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory"));
        }
        return dir;
    }

    /** A file that must exist (see {@link #existingDirectory} for the wording). */
    public Path existingFile(String name) {
        return existingFile(name, require(name));
    }

    /** {@code value} of flag {@code name} as a file that must exist (for repeated flags such as --image). */
    public static Path existingFile(String name, String value) {
        Path file = Path.of(value);
        if (!Files.isRegularFile(file)) {
            throw new UsageException("--" + name + " " + file + ": " + (Files.isDirectory(file) ? "a directory, not a file" : "no such file"));
        }
        return file;
    }
}
