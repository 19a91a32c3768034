package dev.akvq.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's fixed ('f'), exponent ('e') and general ('g') layouts of a float, rounding the exact
 * binary value half-to-even as CPython's dtoa does; shared by {@code str.format}, {@code %} and
 * the {@code round}-free filters.
 */
final class NumberText {
    private NumberText() {}

    static String fixed(double d, int precision) {
        if (!Double.isFinite(d)) return nonFinite(d);
        String s = new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).abs().toPlainString();
        return (d < 0 || (d == 0 && 1 / d < 0) ? "-" : "") + s;
    }

    static String exponent(double d, int precision, boolean alternate) {
        if (!Double.isFinite(d)) return nonFinite(d);
        String sign = d < 0 || (d == 0 && 1 / d < 0) ? "-" : "";
        if (d == 0) return sign + "0" + (precision > 0 ? "." + "0".repeat(precision) : alternate ? "." : "") + "e+00";
        BigDecimal r = new BigDecimal(Math.abs(d)).round(new MathContext(precision + 1, RoundingMode.HALF_EVEN));
        String digits = r.unscaledValue().toString();
        int exp = digits.length() - r.scale() - 1;
        if (digits.length() < precision + 1) digits = digits + "0".repeat(precision + 1 - digits.length());
        digits = digits.substring(0, precision + 1);
        StringBuilder b = new StringBuilder(sign).append(digits.charAt(0));
        if (precision > 0 || alternate) b.append('.');
        b.append(digits, 1, digits.length());
        b.append('e').append(exp < 0 ? '-' : '+');
        if (Math.abs(exp) < 10) b.append('0');
        return b.append(Math.abs(exp)).toString();
    }

    static String general(double d, int precision, boolean alternate) {
        if (!Double.isFinite(d)) return nonFinite(d);
        int p = precision == 0 ? 1 : precision;
        int exp;
        if (d == 0) {
            exp = 0;
        } else {
            BigDecimal r = new BigDecimal(Math.abs(d)).round(new MathContext(p, RoundingMode.HALF_EVEN));
            exp = r.precision() - r.scale() - 1;
        }
        String s = exp >= -4 && exp < p ? fixed(d, p - 1 - exp) : exponent(d, p - 1, alternate);
        if (alternate) return s;
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e), tail = e < 0 ? "" : s.substring(e);
        if (mantissa.indexOf('.') >= 0) {
            mantissa = mantissa.replaceAll("0+$", "");
            if (mantissa.endsWith(".")) mantissa = mantissa.substring(0, mantissa.length() - 1);
        }
        return mantissa + tail;
    }

    static String nonFinite(double d) {
        return Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
    }
}
