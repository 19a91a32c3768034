package dev.akvq.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.akvq.weights.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Llama 2's decoder chain on hand-made tokens (decoders/byte_fallback.rs, fuse.rs, strip.rs, v0.22). */
class TokenDecoderTest {
    private static final TokenDecoder LLAMA2 = TokenDecoder.fromJson(Json.parseObject("""
            {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
             {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}""",
            "tokenizer.json"));

    private static String decode(String... tokens) {
        return String.join("", LLAMA2.decodeChain(List.of(tokens)));
    }

    @Test
    void byteTokensJoinIntoUtf8AndOneLeadingSpaceIsStripped() {
        assertEquals("Hi é!", decode("\u2581Hi", "\u2581", "<0xC3>", "<0xA9>", "!"));
        assertEquals(" x ", decode("\u2581\u2581x\u2581"));
    }

    @Test
    void anInvalidByteRunGivesOneReplacementCharacterPerByte() {
        // C3 alone is a truncated sequence; tokenizers replaces each byte of the run, even the valid "A".
        assertEquals("\uFFFD\uFFFDb", decode("<0xC3>", "<0x41>", "b"));
        assertEquals("Ab<s>", decode("<0x41>", "b", "<s>"));
    }
}
