package dev.akvq.cli;

import java.io.PrintStream;

/** One subcommand of {@code akvq}. Output goes to {@code out}; progress and stats to {@code err}. */
interface Command {
    String name();

    /** One line for the command list. */
    String summary();

    /** The whole {@code --help} text; it ends with examples. */
    String help();

    /** Runs with the arguments after the command name; returns the exit status. */
    int run(String[] args, PrintStream out, PrintStream err) throws Exception;
}
