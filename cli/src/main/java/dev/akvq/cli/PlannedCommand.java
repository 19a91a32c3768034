package dev.akvq.cli;

import java.io.PrintStream;

/**
 * A command whose name and flags are fixed (DEVELOPERS.md) but whose engine part has not landed
 * yet. It says so plainly instead of pretending to work.
 */
record PlannedCommand(String name, String summary, String usage, String arrivesWith) implements Command {
    static final PlannedCommand PREPROCESS = new PlannedCommand("preprocess", "run a family's image processor",
            "akvq preprocess --processor DIR --image FILE --out OUT.safetensors", "the image preprocessors");

    @Override
    public String help() {
        return summary + "\n\nUsage: " + usage + "\n\nNot available in this build yet: it arrives with " + arrivesWith + ".\n"
                + "KV modes (--kv): fp32, fp16, rtn2, kivi2, akvq.\n\nExample:\n  " + usage + "\n";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        err.println("akvq " + name + ": not available in this build yet (arrives with " + arrivesWith + ").");
        return 2;
    }
}
