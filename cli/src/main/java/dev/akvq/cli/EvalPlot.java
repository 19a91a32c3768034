package dev.akvq.cli;

import dev.akvq.model.eval.EvalReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonObject;

/**
 * {@code akvq eval --plot FILE.svg}: two panels sharing the x axis, bits per cached value (log
 * scale, 2 to 32): KL from FP32 (log scale) on the left, exact-match accuracy on the right. One
 * point per mode, labelled; the points of one mode at several budgets ({@code mode@3.0},
 * {@code mode@4.5}) are joined into a curve. Plain SVG 1.1 text, no dependency.
 */
final class EvalPlot {
    private EvalPlot() {}

    private static final int PANEL_W = 420, PANEL_H = 320, MARGIN_L = 70, MARGIN_T = 40, GAP = 90, MARGIN_B = 50;
    private static final double X_MIN = 2, X_MAX = 32;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#17becf", "#7f7f7f", "#bcbd22"};

    /** One mode's point: name, bits per value, KL from FP32, exact-match accuracy. */
    record Point(String name, double bitsPerValue, double klVsFp32, double accuracy) {
        static Point of(EvalReport.ModeResult m) {
            return new Point(m.name(), m.bitsPerValue(), m.klVsFp32(), m.accuracy());
        }
    }

    /** The points of an earlier {@code eval --json} run: its last line that is a JSON object with "modes". */
    static List<Point> readJson(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UsageException("--from " + file + ": " + e.getMessage());
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (!line.startsWith("{") || !line.contains("\"modes\"")) continue;
            List<Point> points = new ArrayList<>();
            JsonArray modes = Json.parseObject(line, file.toString()).requireArray("modes");
            for (int m = 0; m < modes.size(); m++) {
                JsonObject o = (JsonObject) modes.get(m);
                points.add(new Point(o.requireString("mode"), o.requireDouble("bits_per_value"), o.doubleOr("kl_vs_fp32", 0),
                        o.requireDouble("accuracy")));
            }
            return points;
        }
        throw new UsageException("--from " + file + ": no line with the JSON object of 'akvq eval --json'");
    }

    static void write(Path file, List<Point> modes, String title) {
        try {
            Files.writeString(file, svg(modes, title));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plot " + file + ": " + e.getMessage(), e);
        }
    }

    static String svg(List<Point> modes, String title) {
        double klMin = Double.POSITIVE_INFINITY, klMax = 0;
        for (Point m : modes) {
            if (m.klVsFp32() > 0) {
                klMin = Math.min(klMin, m.klVsFp32());
                klMax = Math.max(klMax, m.klVsFp32());
            }
        }
        if (!(klMax > 0)) {
            klMin = 1e-6;
            klMax = 1;
        }
        double yLo = Math.floor(Math.log10(klMin)) - 1, yHi = Math.ceil(Math.log10(klMax));   // one decade below for KL 0
        int width = MARGIN_L + 2 * PANEL_W + GAP + 30, height = MARGIN_T + PANEL_H + MARGIN_B;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"11\">%n", width, height, width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>%n", MARGIN_L, escape(title)));
        int left = MARGIN_L, right = MARGIN_L + PANEL_W + GAP;
        axes(b, left, "KL(p_fp32 || p_mode), nats (log; bottom row: 0)");
        axes(b, right, "exact-match accuracy");
        for (int d = (int) yLo; d <= yHi; d++) {
            double y = y(d, yLo, yHi);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", left, y, left + PANEL_W, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left - 4, y + 4,
                    d == (int) yLo ? "0" : "1e" + d));
        }
        for (int i = 0; i <= 4; i++) {
            double y = MARGIN_T + PANEL_H - i * PANEL_H / 4.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", right, y, right + PANEL_W, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", right - 4, y + 4, i / 4.0));
        }
        // Curves: the modes that share a name before '@'.
        Map<String, List<Point>> curves = new LinkedHashMap<>();
        for (Point m : modes) curves.computeIfAbsent(m.name().split("@")[0], k -> new ArrayList<>()).add(m);
        int c = 0;
        for (Map.Entry<String, List<Point>> e : curves.entrySet()) {
            String colour = COLOURS[c++ % COLOURS.length];
            List<Point> points = new ArrayList<>(e.getValue());
            points.sort((a, o) -> Double.compare(a.bitsPerValue(), o.bitsPerValue()));
            StringBuilder kl = new StringBuilder(), acc = new StringBuilder();
            for (Point m : points) {
                double x0 = x(m.bitsPerValue(), left), x1 = x(m.bitsPerValue(), right);
                double yk = y(m.klVsFp32() > 0 ? Math.log10(m.klVsFp32()) : yLo, yLo, yHi);
                double ya = MARGIN_T + PANEL_H - m.accuracy() * PANEL_H;
                kl.append(String.format(Locale.ROOT, "%.1f,%.1f ", x0, yk));
                acc.append(String.format(Locale.ROOT, "%.1f,%.1f ", x1, ya));
                for (double[] p : new double[][] {{x0, yk}, {x1, ya}}) {
                    b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", p[0], p[1], colour));
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>%n", p[0] + 5, p[1] - 4, colour,
                            escape(m.name())));
                }
            }
            if (points.size() > 1) {
                for (StringBuilder line : List.of(kl, acc)) {
                    b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\"/>%n", line.toString().strip(),
                            colour));
                }
            }
        }
        return b.append("</svg>\n").toString();
    }

    private static void axes(StringBuilder b, int left, String yLabel) {
        int top = MARGIN_T, bottom = MARGIN_T + PANEL_H;
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>%n", left, top,
                PANEL_W, PANEL_H));
        for (int bits : new int[] {2, 3, 4, 6, 8, 16, 32}) {
            double x = x(bits, left);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>%n", x, top, x, bottom));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x, bottom + 14, bits));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">bits per cached value (log)</text>%n",
                left + PANEL_W / 2, bottom + 32));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", left, top - 6, escape(yLabel)));
    }

    private static double x(double bits, int left) {
        double v = Math.max(X_MIN, Math.min(X_MAX, bits));
        return left + (Math.log(v / X_MIN) / Math.log(X_MAX / X_MIN)) * PANEL_W;
    }

    private static double y(double log10, double lo, double hi) {
        return MARGIN_T + PANEL_H - (log10 - lo) / (hi - lo) * PANEL_H;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
