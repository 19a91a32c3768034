package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.WeightReader;
import dev.akvq.model.layout.ArchitectureLayout;
import dev.akvq.model.layout.CheckpointLayout;
import dev.akvq.model.layout.ExpectedTensor;
import dev.akvq.model.qwen2vl.Qwen2VLModel;
import dev.akvq.tensor.WorkerPool;
import dev.akvq.weights.Checkpoint;
import dev.akvq.weights.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tensors a family's loader reads are the ones {@code akvq inspect} checks: both go through
 * {@link ArchitectureLayout}, and the reader refuses a name it does not declare and a load that
 * leaves a declared tensor unread. Shown on every fixture checkpoint, and shown to fail both ways.
 */
class LoaderMatchesInspectTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama/bf16", "llava", "llava/bf16", "idefics3", "idefics3/bf16",
            "qwen2vl", "qwen2vl/bf16", "llava-shapes"})
    void theLoaderReadsExactlyTheTensorsInspectChecks(String name) {
        Path dir = Fixtures.model(name);
        ModelConfig config = ModelConfig.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir); WorkerPool pool = WorkerPool.create(1)) {
            CheckpointLayout inspected = CheckpointLayout.check(config, checkpoint);
            assertEquals(List.of(), inspected.problems());
            assertEquals(List.of(), inspected.unused());
            WeightReader weights = WeightReader.of(checkpoint, config);
            VisionLanguageModel model = VisionLanguageModel.load(config, weights, pool);
            if (model instanceof Qwen2VLModel qwen) qwen.decoder();     // its weights are read on first use
            assertEquals(inspected.expected(), inspected.found().size());
            assertEquals(inspected.found(), weights.taken());
        }
    }

    @Test
    void aTensorTheLayoutDoesNotDeclareCannotBeRead() {
        Path dir = Fixtures.model("llama");
        ModelConfig config = ModelConfig.load(dir);
        List<ExpectedTensor> declared = new ArrayList<>(ArchitectureLayout.of(config));
        ExpectedTensor dropped = declared.remove(5);
        try (Checkpoint checkpoint = Checkpoint.open(dir); WorkerPool pool = WorkerPool.create(1)) {
            WeightReader weights = WeightReader.of(checkpoint, declared);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> VisionLanguageModel.load(config, weights, pool));
            assertEquals("tensor " + dropped.name() + " is read but not declared in ArchitectureLayout, so akvq inspect would not check it",
                    e.getMessage());
        }
    }

    @Test
    void aDeclaredTensorNoLoaderReadsFailsTheLoad(@TempDir Path tmp) throws IOException {
        // The untied layout declares lm_head.weight; a loader told the head is tied never reads it.
        Path source = Fixtures.model("llama");
        Files.copy(source.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"), Files.readString(source.resolve("config.json"))
                .replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true"));
        ModelConfig untied = ModelConfig.load(source), tied = ModelConfig.load(tmp);
        assertTrue(tied.textConfig().tieWordEmbeddings());
        try (Checkpoint checkpoint = Checkpoint.open(tmp); WorkerPool pool = WorkerPool.create(1)) {
            WeightReader weights = WeightReader.of(checkpoint, untied);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> VisionLanguageModel.load(tied, weights, pool));
            assertEquals("1 tensor(s) declared in ArchitectureLayout but not read by the loader: [lm_head.weight]", e.getMessage());
            assertEquals(Set.copyOf(ArchitectureLayout.of(tied).stream().map(ExpectedTensor::name).toList()), weights.taken());
        }
    }
}
