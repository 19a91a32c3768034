package dev.akvq.cli;

/** A command line the user got wrong: the message names the flag and what was expected. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
