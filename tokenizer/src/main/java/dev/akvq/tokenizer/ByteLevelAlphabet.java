package dev.akvq.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2's reversible map from the 256 byte values to printable characters, so that BPE works on
 * strings without whitespace or control characters: printable Latin-1 bytes map to themselves,
 * the other 68 bytes to U+0100 upwards in byte order ({@code bytes_to_unicode} in openai/gpt-2
 * src/encoder.py, and tokenizers/src/pre_tokenizers/byte_level.rs). Space becomes 'Ġ', '\n' 'Ċ'.
 */
public final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Byte> CHAR_TO_BYTE = new HashMap<>();

    static {
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + next++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], (byte) b);
        }
    }

    private ByteLevelAlphabet() {}

    /** The UTF-8 bytes of {@code text}, each written as its alphabet character. */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * Appends the bytes a token stands for. As the ByteLevel decoder does, a token holding any
     * character outside the alphabet (an added token such as "<|endoftext|>" is all inside it,
     * but others need not be) contributes its own UTF-8 bytes instead.
     */
    public static void appendBytes(String token, ByteArrayOutputStream out) {
        byte[] mapped = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            Byte b = CHAR_TO_BYTE.get(token.charAt(i));
            if (b == null) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
            mapped[i] = b;
        }
        out.writeBytes(mapped);
    }
}
