package dev.akvq.weights.config;

import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * generation_config.json. Defaults from GenerationConfig, generation/configuration_utils.py at
 * transformers 241c04d3: max_length 20, max_new_tokens none (when set it wins over max_length),
 * do_sample false, temperature 1.0, top_k 50, top_p 1.0, repetition_penalty 1.0, and no
 * bos/eos/pad ids.
 *
 * @param eosTokenIds one or more ids that end generation (an int or a list in the file)
 */
public record GenerationConfig(OptionalInt bosTokenId, List<Integer> eosTokenIds, OptionalInt padTokenId,
        int maxLength, OptionalInt maxNewTokens, boolean doSample, double temperature, int topK, double topP,
        double repetitionPenalty) {

    public static final String FILE_NAME = "generation_config.json";

    public static final GenerationConfig DEFAULTS = new GenerationConfig(OptionalInt.empty(), List.of(),
            OptionalInt.empty(), 20, OptionalInt.empty(), false, 1.0, 50, 1.0, 1.0);

    public GenerationConfig {
        Objects.requireNonNull(bosTokenId, "bosTokenId");
        eosTokenIds = List.copyOf(eosTokenIds);
        Objects.requireNonNull(padTokenId, "padTokenId");
        Check.positive("max_length", maxLength);
        Objects.requireNonNull(maxNewTokens, "maxNewTokens");
        if (maxNewTokens.isPresent()) Check.positive("max_new_tokens", maxNewTokens.getAsInt());
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new ConfigFieldException("temperature", "must be a finite number >= 0, found " + temperature);
        }
        if (doSample && temperature == 0) {
            throw new ConfigFieldException("temperature", "must be positive when do_sample is true");
        }
        if (topK < 0) throw new ConfigFieldException("top_k", "must be >= 0, found " + topK);
        if (!(topP >= 0 && topP <= 1)) throw new ConfigFieldException("top_p", "must be in [0, 1], found " + topP);
        Check.positiveFinite("repetition_penalty", repetitionPenalty);
    }

    /** {@code dir/generation_config.json}, if the directory has one. */
    public static Optional<GenerationConfig> find(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) return Optional.empty();
        return Optional.of(fromJson(Json.readObjectFile(file)));
    }

    public static GenerationConfig fromJson(JsonObject o) {
        return Check.in(o, () -> new GenerationConfig(
                TextDecoderConfig.toOptionalInt(o.optInt("bos_token_id")),
                o.optIntOrIntList("eos_token_id").orElse(List.of()),
                TextDecoderConfig.toOptionalInt(o.optInt("pad_token_id")),
                o.intOr("max_length", 20),
                TextDecoderConfig.toOptionalInt(o.optInt("max_new_tokens")),
                o.booleanOr("do_sample", false),
                o.doubleOr("temperature", 1.0),
                o.intOr("top_k", 50),
                o.doubleOr("top_p", 1.0),
                o.doubleOr("repetition_penalty", 1.0)));
    }
}
