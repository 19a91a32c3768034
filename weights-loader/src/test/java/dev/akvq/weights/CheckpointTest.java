package dev.akvq.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.akvq.weights.SafetensorsFileTest.assertMessage;
import static dev.akvq.weights.HandMadeSafetensors.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    @TempDir
    Path dir;

    private static WeightsFormatException rejected(Path dir, String... fragments) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> Checkpoint.open(dir).close());
        assertMessage(e, fragments);
        return e;
    }

    private void writeShards() throws IOException {
        new HandMadeSafetensors().addF32("a", shape(2), 1, 2).addF32("b", shape(1), 3)
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new HandMadeSafetensors().addF32("c", shape(1), 4).write(dir.resolve("model-00002-of-00002.safetensors"));
    }

    private void writeIndex(String weightMap) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE),
                "{\"metadata\": {\"total_size\": 16}, \"weight_map\": {" + weightMap + "}}");
    }

    @Test
    void opensSingleFile() throws IOException {
        new HandMadeSafetensors().addF32("w", shape(2), 5, 6).write(dir.resolve("model.safetensors"));
        // A golden file beside model.safetensors does not confuse the lookup.
        new HandMadeSafetensors().addF32("g", shape(1), 0).write(dir.resolve("goldens.safetensors"));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(1, c.files().size());
            assertArrayEquals(new float[] {5, 6}, c.require("w", 2).toFloatArray());
            assertTrue(c.find("g").isEmpty());
            assertMessage(assertThrows(WeightsFormatException.class, () -> c.require("w", 3)), "tensor \"w\"",
                    "expected shape [3], found [2]", "model.safetensors");
            assertMessage(assertThrows(WeightsFormatException.class, () -> c.require("lm_head.weight", 512, 64)),
                    dir.toString(), "no tensor \"lm_head.weight\"", "[512, 64]");
        }
    }

    @Test
    void opensShardedThroughIndexEachShardOnce() throws IOException {
        writeShards();
        writeIndex("\"c\": \"model-00002-of-00002.safetensors\", \"a\": \"model-00001-of-00002.safetensors\","
                + " \"b\": \"model-00001-of-00002.safetensors\"");
        WeightTensor a;
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(2, c.files().size());
            assertEquals(List.of("c", "a", "b"), c.tensors().stream().map(WeightTensor::name).toList());
            assertArrayEquals(new float[] {4}, c.require("c").toFloatArray());
            assertEquals(dir.resolve("model-00002-of-00002.safetensors").toAbsolutePath().normalize(),
                    c.require("c").source());
            a = c.require("a");
        }
        assertThrows(IllegalStateException.class, a::toFloatArray, "close() unmaps every shard");
    }

    @Test
    void fallsBackToTheOnlySafetensorsFile() throws IOException {
        new HandMadeSafetensors().addF32("w", shape(1), 1).write(dir.resolve("weights.safetensors"));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of("w"), List.copyOf(c.names()));
        }
        new HandMadeSafetensors().addF32("v", shape(1), 1).write(dir.resolve("other.safetensors"));
        rejected(dir, dir.toString(), "looked for model.safetensors, then model.safetensors.index.json",
                "2 *.safetensors files", "other.safetensors", "weights.safetensors");
    }

    @Test
    void namesWhatWasLookedFor() throws IOException {
        rejected(dir, dir.toString(), "no weights found", "model.safetensors", "model.safetensors.index.json",
                "no *.safetensors file");
        rejected(dir.resolve("absent"), "absent: not a directory");
    }

    @Test
    void rejectsShardsOutsideTheDirectory() throws IOException {
        writeShards();
        Files.createDirectories(dir.resolve("sub"));
        writeIndex("\"a\": \"../model-00001-of-00002.safetensors\"");
        Path sub = dir.resolve("sub");
        Files.move(dir.resolve(Checkpoint.INDEX_FILE), sub.resolve(Checkpoint.INDEX_FILE));
        rejected(sub, "model.safetensors.index.json", "field \"weight_map.a\"",
                "\"../model-00001-of-00002.safetensors\" is outside the model directory");
        writeIndex("\"a\": \"" + dir.resolve("model-00001-of-00002.safetensors").toAbsolutePath() + "\"");
        rejected(dir, "field \"weight_map.a\"", "is outside the model directory");
        writeIndex("\"a\": \"x/../model-00001-of-00002.safetensors\"");
        rejected(dir, "field \"weight_map.a\"", "contains \"..\"");
    }

    @Test
    void rejectsMissingShardAndMissingTensor() throws IOException {
        writeShards();
        writeIndex("\"a\": \"model-00001-of-00002.safetensors\", \"z\": \"model-00003-of-00003.safetensors\"");
        rejected(dir, "model.safetensors.index.json", "field \"weight_map.z\"", "model-00003-of-00003.safetensors",
                "does not exist");
        writeIndex("\"a\": \"model-00001-of-00002.safetensors\", \"c\": \"model-00001-of-00002.safetensors\"");
        rejected(dir, "model.safetensors.index.json", "tensor \"c\" in model-00001-of-00002.safetensors",
                "that shard has no such tensor");
        writeIndex("\"a\": 3");
        rejected(dir, "field \"weight_map.a\"", "expected a shard file name, found the number 3");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\": {}}");
        rejected(dir, "weight_map is empty");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\": {}}");
        rejected(dir, "model.safetensors.index.json: field \"weight_map\" is missing");
    }

    @Test
    void followsSymlinkedShardsAsTheHuggingFaceCacheLaysThemOut() throws IOException {
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path snapshot = Files.createDirectories(dir.resolve("snapshots/abc"));
        new HandMadeSafetensors().addF32("a", shape(1), 9).write(blobs.resolve("1234"));
        Files.createSymbolicLink(snapshot.resolve("model-00001-of-00001.safetensors"), Path.of("../../blobs/1234"));
        Files.writeString(snapshot.resolve(Checkpoint.INDEX_FILE),
                "{\"weight_map\": {\"a\": \"model-00001-of-00001.safetensors\"}}");
        try (Checkpoint c = Checkpoint.open(snapshot)) {
            assertArrayEquals(new float[] {9}, c.require("a").toFloatArray());
        }
    }

    @Test
    void aBrokenShardNamesItsFile() throws IOException {
        writeShards();
        Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[5]);
        writeIndex("\"a\": \"model-00001-of-00002.safetensors\", \"c\": \"model-00002-of-00002.safetensors\"");
        rejected(dir, "model-00002-of-00002.safetensors: file is 5 bytes long");
    }
}
