package dev.akvq.cli;

/** Entry point of the {@code akvq} command line; placeholder until the commands land. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("akvq");
    }
}
