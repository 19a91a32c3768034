package dev.akvq.tokenizer;

/**
 * The character classes Rust's standard library gives tokenizers, which Java's Character methods
 * do not match: {@code char::is_whitespace} is the Unicode White_Space property (Java's
 * isWhitespace leaves out the no-break spaces and adds U+001C..U+001F), {@code char::is_numeric}
 * is the general categories Nd, Nl and No, and tokenizers' {@code is_punc}
 * (pre_tokenizers/punctuation.rs) is ASCII punctuation or a P* category.
 */
final class UnicodeProperties {
    private UnicodeProperties() {}

    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static boolean isNumeric(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    static boolean isPunctuation(int cp) {
        if (cp < 0x80) return cp > 0x20 && cp < 0x7F && !Character.isLetterOrDigit(cp);
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** unicode_normalization_alignments' {@code is_combining_mark}: general category Mn, Mc or Me. */
    static boolean isCombiningMark(int cp) {
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
    }
}
