package dev.akvq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.akvq.server.GenerationRequest.ImagePart;
import dev.akvq.server.GenerationRequest.Message;
import dev.akvq.server.GenerationRequest.TextPart;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in chat layouts, written out for a conversation with a system turn, images, an answer and a follow-up. */
class ChatLayoutTest {
    private static final List<Message> CHAT = List.of(
            new Message("system", List.of(new TextPart("Be brief."))),
            new Message("user", List.of(new ImagePart(0), new TextPart("What is it?"))),
            new Message("assistant", List.of(new TextPart("A cat."))),
            new Message("user", List.of(new TextPart("And this?"), new ImagePart(1))));

    @Test
    void qwen2vlIsItsChatTemplate() {
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is it?<|im_end|>\n"
                + "<|im_start|>assistant\nA cat.<|im_end|>\n"
                + "<|im_start|>user\nAnd this?<|vision_start|><|image_pad|><|vision_end|><|im_end|>\n"
                + "<|im_start|>assistant\n", new ChatLayout.Qwen2VL().layout(CHAT));
        // Without a system message, the template's default one.
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                new ChatLayout.Qwen2VL().layout(List.of(new Message("user", List.of(new TextPart("Hi"))))));
        assertThrows(IllegalArgumentException.class, () -> new ChatLayout.Qwen2VL().layout(List.of(CHAT.get(1), CHAT.get(0))));
    }

    @Test
    void llavaNumbersImagesThroughTheConversationAsRunDoes() {
        assertEquals("Be brief. USER: Image 1: <image>\nWhat is it? ASSISTANT: A cat. USER: Image 2: <image>\nAnd this? ASSISTANT:",
                new ChatLayout.Llava("<image>").layout(CHAT));
        assertEquals("USER: Image 1: <image>\nWhat color is the triangle? ASSISTANT:", new ChatLayout.Llava("<image>")
                .layout(List.of(new Message("user", List.of(new ImagePart(0), new TextPart("What color is the triangle?"))))));
    }

    @Test
    void idefics3KeepsPartsInOrder() {
        assertEquals("<|im_start|>System: Be brief.<end_of_utterance>\nUser:<image>What is it?<end_of_utterance>\n"
                + "Assistant: A cat.<end_of_utterance>\nUser: And this?<image><end_of_utterance>\nAssistant:",
                new ChatLayout.Idefics3().layout(CHAT));
    }

    @Test
    void textModelsGetOneLinePerMessage() {
        assertEquals("System: Be brief.\nUser: What is it?\nAssistant: A cat.\nUser: And this?\nAssistant:",
                new ChatLayout.Plain().layout(CHAT));
    }
}
