package dev.akvq.model;

import dev.akvq.tokenizer.Tokenizer;
import java.nio.file.Path;

/** A model directory's files besides the weights: its tokenizer, read once on first use. */
public final class ModelDirectory {
    private final Path path;
    private Tokenizer tokenizer;

    public ModelDirectory(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** tokenizer.json (and tokenizer_config.json) of the directory, loaded on first use. */
    public synchronized Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Tokenizer.load(path);
        return tokenizer;
    }
}
