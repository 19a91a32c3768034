package dev.akvq.server;

import dev.akvq.image.DecodedImage;
import java.util.List;
import java.util.OptionalInt;

/**
 * One validated request, whichever endpoint it came from: a chat (messages laid out by the
 * model's prompt format) or a plain text prompt (taken as written), the images it refers to
 * (already decoded, in the order the messages name them), and how to generate.
 *
 * @param maxTokens   max_tokens / max_completion_tokens; empty: up to the context's end
 * @param temperature 0 = greedy; NaN = generation_config.json's (greedy unless it samples)
 * @param topP        NaN = generation_config.json's
 * @param seed        the sampler's seed
 * @param stop        up to 4 strings that end the answer (not included in it)
 */
record GenerationRequest(Prompt prompt, List<DecodedImage> images, OptionalInt maxTokens, double temperature, double topP,
                         long seed, List<String> stop) {
    GenerationRequest {
        images = List.copyOf(images);
        stop = List.copyOf(stop);
    }

    /** What the model is asked: a conversation or a text. */
    sealed interface Prompt permits Chat, Text {}

    /** {@code /v1/chat/completions}: the messages in order. */
    record Chat(List<Message> messages) implements Prompt {
        Chat {
            messages = List.copyOf(messages);
        }
    }

    /** {@code /v1/completions}: the prompt as written, encoded with the tokenizer's special tokens (BOS). */
    record Text(String text) implements Prompt {}

    /** One message: its role (system, user, assistant) and its parts in order. */
    record Message(String role, List<Part> parts) {
        Message {
            parts = List.copyOf(parts);
        }
    }

    sealed interface Part permits TextPart, ImagePart {}

    record TextPart(String text) implements Part {}

    /** The {@code index}-th image of {@link GenerationRequest#images()}. */
    record ImagePart(int index) implements Part {}
}
