package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonObject;
import java.util.List;

/**
 * The Metaspace pre-tokenizer (tokenizers/src/pre_tokenizers/metaspace.rs, v0.22), SentencePiece's
 * way of keeping spaces: every ' ' becomes {@code replacement} (usually "▁"), a replacement is put
 * in front of the text unless it starts with one (always; "first": only the text that begins the
 * input; never), and with {@code split} the text is cut before each replacement
 * (MergedWithNext). The Metaspace decoder ({@link TokenDecoder}) reads the same fields.
 */
public record MetaspacePreTokenizer(int replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {

    /** metaspace.rs PrependScheme, with the JSON names in lower case. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    static MetaspacePreTokenizer fromJson(JsonObject p) {
        String replacement = p.requireString("replacement");
        if (replacement.codePointCount(0, replacement.length()) != 1)
            throw p.fieldError("replacement", "expected one character, found \"" + replacement + "\"");
        PrependScheme scheme = null;
        if (p.has("prepend_scheme")) {
            String name = p.requireString("prepend_scheme");
            scheme = switch (name) {
                case "always" -> PrependScheme.ALWAYS;
                case "first" -> PrependScheme.FIRST;
                case "never" -> PrependScheme.NEVER;
                default -> throw p.fieldError("prepend_scheme", "expected \"always\", \"first\" or \"never\", found \"" + name + "\"");
            };
        }
        // metaspace.rs deserialize (as tokenizers 0.23.2 reads it): the legacy add_prefix_space
        // false is accepted only beside prepend_scheme "never"; true changes nothing.
        if (p.has("add_prefix_space") && !p.requireBoolean("add_prefix_space") && scheme != PrependScheme.NEVER) {
            throw p.fieldError("add_prefix_space", "false does not match prepend_scheme "
                    + (scheme == null ? "(absent, meaning \"always\")" : "\"" + scheme.name().toLowerCase() + "\"")
                    + "; expected prepend_scheme \"never\" with it");
        }
        return new MetaspacePreTokenizer(replacement.codePointAt(0), scheme == null ? PrependScheme.ALWAYS : scheme,
                p.booleanOr("split", true));
    }

    @Override
    public boolean split(String text, boolean atStart, List<String> out) {
        String rep = Character.toString(replacement);
        text = text.replace(" ", rep);
        boolean prepend = switch (prependScheme) {
            case ALWAYS -> true;
            case FIRST -> atStart;
            case NEVER -> false;
        };
        if (prepend && !text.startsWith(rep)) text = rep + text;
        if (!split) {
            if (!text.isEmpty()) out.add(text);
            return true;
        }
        SplitPreTokenizer.onCharacters(cp -> cp == replacement, SplitPreTokenizer.Behavior.MergedWithNext).split(text, atStart, out);
        return true;
    }

    /**
     * decoders Metaspace (metaspace.rs {@code decode_chain}): each replacement becomes a space,
     * except in the first token, where it is dropped unless prepend_scheme is "never".
     */
    List<String> decodeChain(List<String> tokens) {
        String rep = Character.toString(replacement);
        String[] out = new String[tokens.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokens.get(i).replace(rep, i == 0 && prependScheme != PrependScheme.NEVER ? "" : " ");
        }
        return List.of(out);
    }
}
