package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The copied fixtures are byte for byte the ones SHA256SUMS pins: goldens are never edited. */
class FixtureIntegrityTest {

    @Test
    void everyPinnedModelFileMatchesItsSha256() throws IOException, NoSuchAlgorithmException {
        Path models = Fixtures.root().resolve("models");
        List<String> lines = Files.readAllLines(models.resolve("SHA256SUMS"));
        assertTrue(lines.size() >= 40, "SHA256SUMS should pin every model file, found " + lines.size() + " lines");
        for (String line : lines) {
            String expected = line.substring(0, 64);
            Path file = models.resolve(line.substring(66).trim());
            assertEquals(expected, sha256(file), "sha256 of " + file);
        }
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return digest(Files.readAllBytes(file));
    }

    private static String digest(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
