package dev.akvq.conformance;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the copied reference fixtures live; set by the tests module's surefire configuration. */
final class Fixtures {
    private Fixtures() {}

    /** The fixtures root; fails loudly (never skips) when the setup is broken. */
    static Path root() {
        String dir = System.getProperty("akvq.fixtures");
        if (dir == null) throw new IllegalStateException("system property akvq.fixtures is not set (run through Maven)");
        Path root = Path.of(dir);
        if (!Files.isDirectory(root.resolve("models"))) {
            throw new IllegalStateException("fixtures missing under " + root + ": expected models/ (see README)");
        }
        return root;
    }

    static Path model(String name) {
        return root().resolve("models").resolve(name);
    }
}
