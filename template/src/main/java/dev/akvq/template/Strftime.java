package dev.akvq.template;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.now().strftime(format)} (the C library's strftime in the C locale,
 * glibc's '-', '_' and '0' padding flags) for a naive local time: %z and %Z are empty.
 * An unknown directive is written as is, as glibc does.
 */
final class Strftime {
    private Strftime() {}

    static String format(LocalDateTime t, String fmt) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            int start = i;
            char flag = 0;
            char d = fmt.charAt(++i);
            if ((d == '-' || d == '_' || d == '0') && i + 1 < fmt.length()) {
                flag = d;
                d = fmt.charAt(++i);
            }
            String text = switch (d) {
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
                case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
                case 'd' -> pad(t.getDayOfMonth(), 2, flag, '0');
                case 'e' -> pad(t.getDayOfMonth(), 2, flag, ' ');
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'm' -> pad(t.getMonthValue(), 2, flag, '0');
                case 'y' -> pad(t.getYear() % 100, 2, flag, '0');
                case 'Y' -> String.valueOf(t.getYear());
                case 'C' -> pad(t.getYear() / 100, 2, flag, '0');
                case 'G' -> String.valueOf(t.get(IsoFields.WEEK_BASED_YEAR));
                case 'V' -> pad(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, flag, '0');
                case 'H' -> pad(t.getHour(), 2, flag, '0');
                case 'k' -> pad(t.getHour(), 2, flag, ' ');
                case 'I' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, flag, '0');
                case 'l' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, flag, ' ');
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'P' -> t.getHour() < 12 ? "am" : "pm";
                case 'M' -> pad(t.getMinute(), 2, flag, '0');
                case 'S' -> pad(t.getSecond(), 2, flag, '0');
                case 'f' -> pad(t.getNano() / 1000, 6, flag, '0');
                case 'j' -> pad(t.getDayOfYear(), 3, flag, '0');
                case 'U' -> pad((t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7, 2, flag, '0');
                case 'W' -> pad((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7, 2, flag, '0');
                case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
                case 'x' -> format(t, "%m/%d/%y");
                case 'X', 'T' -> format(t, "%H:%M:%S");
                case 'D' -> format(t, "%m/%d/%y");
                case 'F' -> format(t, "%Y-%m-%d");
                case 'R' -> format(t, "%H:%M");
                case 'r' -> format(t, "%I:%M:%S %p");
                case 's' -> String.valueOf(t.toEpochSecond(java.time.ZoneOffset.UTC));
                case 'n' -> "\n";
                case 't' -> "\t";
                case '%' -> "%";
                case 'z', 'Z' -> "";
                default -> null;
            };
            if (text == null) b.append(fmt, start, i + 1);
            else b.append(text);
        }
        return b.toString();
    }

    private static String pad(long value, int width, char flag, char defaultPad) {
        String s = String.valueOf(value);
        if (flag == '-') return s;
        char p = flag == '_' ? ' ' : flag == '0' ? '0' : defaultPad;
        return s.length() >= width ? s : String.valueOf(p).repeat(width - s.length()) + s;
    }

}
