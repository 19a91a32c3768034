package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The "decoder" of tokenizer.json: maps a list of token strings to a list of strings, which
 * Tokenizer joins (tokenizers/src/decoders/, v0.22, {@code decode_chain}). Supported: ByteLevel,
 * Replace, ByteFallback, Metaspace, Fuse, Strip and Sequence.
 */
public interface TokenDecoder {

    List<String> decodeChain(List<String> tokens);

    static TokenDecoder fromJson(JsonObject d) {
        String type = d.requireString("type");
        return switch (type) {
            case "ByteLevel" -> TokenDecoder::byteLevel;
            case "Replace" -> {
                java.util.regex.Pattern pattern = TextNormalizer.replacePattern(d);
                String replacement = java.util.regex.Matcher.quoteReplacement(d.requireString("content"));
                yield tokens -> tokens.stream().map(t -> pattern.matcher(t).replaceAll(replacement)).toList();
            }
            case "ByteFallback" -> TokenDecoder::byteFallback;
            case "Metaspace" -> MetaspacePreTokenizer.fromJson(d)::decodeChain;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> {
                String content = d.requireString("content");
                if (content.codePointCount(0, content.length()) != 1) throw d.fieldError("content", "expected one character, found \"" + content + "\"");
                int start = d.requireInt("start"), stop = d.requireInt("stop");
                if (start < 0 || stop < 0) throw d.fieldError("start", "start and stop must be >= 0, found " + start + " and " + stop);
                yield tokens -> tokens.stream().map(t -> strip(t, content.codePointAt(0), start, stop)).toList();
            }
            case "Sequence" -> {
                List<TokenDecoder> steps = JsonSteps.read(d, "decoders", TokenDecoder::fromJson);
                yield tokens -> {
                    for (TokenDecoder s : steps) tokens = s.decodeChain(tokens);
                    return tokens;
                };
            }
            default -> throw d.fieldError("type",
                    "expected ByteLevel, Replace, ByteFallback, Metaspace, Fuse, Strip or Sequence, found \"" + type + "\"");
        };
    }

    /**
     * Whether a later token can change text the decoder already produced, so that a stream's text
     * is final only at its end: a Strip that removes trailing characters (stop > 0), or a Replace
     * after a Fuse whose pattern can match more than one character (it then sees the joined text, and
     * a match may span tokens: "l" then "l" against {@code l+}). A Replace before the Fuse acts on
     * each token alone (replace.rs), and a one-character String pattern cannot span two tokens.
     */
    static boolean rewritesEarlierText(JsonObject d) {
        if (anyStep(d, step -> step.stringOr("type", "").equals("Strip") && step.intOr("stop", 0) > 0)) return true;
        boolean fused = false;
        for (JsonObject step : steps(d)) {
            String type = step.stringOr("type", "");
            if (type.equals("Fuse")) fused = true;
            if (fused && type.equals("Replace") && !singleCharacterString(step)) return true;
        }
        return false;
    }

    private static boolean singleCharacterString(JsonObject replace) {
        JsonObject pattern = replace.requireObject("pattern");
        return pattern.has("String") && pattern.requireString("String").codePointCount(0, pattern.requireString("String").length()) <= 1;
    }

    /** The decoder's steps in the order they run, nested Sequences flattened. */
    private static List<JsonObject> steps(JsonObject d) {
        if (!d.stringOr("type", "").equals("Sequence")) return List.of(d);
        List<JsonObject> out = new java.util.ArrayList<>();
        for (JsonValue step : d.requireArray("decoders").elements()) if (step instanceof JsonObject o) out.addAll(steps(o));
        return out;
    }

    /** Whether {@code d}, or a step of it, is ByteFallback. */
    static boolean hasByteFallback(JsonObject d) {
        return anyStep(d, step -> step.stringOr("type", "").equals("ByteFallback"));
    }

    private static boolean anyStep(JsonObject d, java.util.function.Predicate<JsonObject> test) {
        return steps(d).stream().anyMatch(test);
    }

    /** Whether {@code t} is a byte-fallback token "<0xNN>". */
    static boolean isByteToken(String t) {
        return byteToken(t) >= 0;
    }

    /**
     * byte_level.rs: all tokens mapped back to bytes, invalid UTF-8 replaced by U+FFFD
     * (String::from_utf8_lossy).
     */
    private static List<String> byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) ByteLevelAlphabet.appendBytes(t, bytes);
        return List.of(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
    }

    /**
     * byte_fallback.rs: a run of "<0xNN>" tokens becomes its UTF-8 text when the bytes are valid
     * UTF-8, and otherwise one U+FFFD per byte (not per invalid sequence, unlike from_utf8_lossy).
     */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (String t : tokens) {
            int b = byteToken(t);
            if (b >= 0) {
                run.write(b);
                continue;
            }
            flushBytes(run, out);
            out.add(t);
        }
        flushBytes(run, out);
        return out;
    }

    /** The byte of a "<0xNN>" token (either hex case, as u8::from_str_radix takes), or -1. */
    private static int byteToken(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 || t.charAt(3) > 0x7F || t.charAt(4) > 0x7F ? -1 : hi * 16 + lo;
    }

    private static void flushBytes(ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) return;
        byte[] bytes = run.toByteArray();
        run.reset();
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            for (int i = 0; i < bytes.length; i++) out.add("\uFFFD");
        }
    }

    /** strip.rs: removes up to {@code start} leading and {@code stop} trailing {@code content} characters. */
    private static String strip(String token, int content, int start, int stop) {
        int[] cps = token.codePoints().toArray();
        int from = 0;
        while (from < start && from < cps.length && cps[from] == content) from++;
        int to = cps.length;
        while (cps.length - to < stop && to > from && cps[to - 1] == content) to--;
        return new String(cps, from, to - from);
    }
}
