package dev.akvq.quant.kv;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Exact bytes a store holds for its tokens, by segment (INT2, INT4, FP16 pivots, FP16 window,
 * dense rows, ...) and kind of byte (packed codes, FP16 scales, signed-byte zero points, full
 * rows), and the overall bits per cached value.
 *
 * <p>Per-token bookkeeping (which segment and slot a token sits in, its modality) is not in the
 * bits per value, which count what the method stores (docs/akvq-vl.md, "Bits"); it is its own
 * number, {@link #bookkeepingBitsPerValue}, on its own line of {@link #describe}.
 *
 * @param values           the scalar values cached: {@code 2 (K and V) × kvHeads × tokens × headDim}
 * @param bookkeepingBytes bytes of per-token bookkeeping besides the segments (0 where positions alone say where a token is)
 */
public record KvFootprint(List<Segment> segments, long values, long bookkeepingBytes) {

    /** @param tokens tokens whose keys and values this segment holds (per head, counted once) */
    public record Segment(String name, long tokens, long codeBytes, long scaleBytes, long zeroBytes, long rowBytes) {
        public long bytes() {
            return codeBytes + scaleBytes + zeroBytes + rowBytes;
        }

        Segment plus(Segment o) {
            return new Segment(name, tokens + o.tokens, codeBytes + o.codeBytes, scaleBytes + o.scaleBytes,
                    zeroBytes + o.zeroBytes, rowBytes + o.rowBytes);
        }
    }

    public KvFootprint {
        segments = List.copyOf(segments);
    }

    /** A footprint without per-token bookkeeping. */
    public KvFootprint(List<Segment> segments, long values) {
        this(segments, values, 0);
    }

    public long bytes() {
        return segments.stream().mapToLong(Segment::bytes).sum();
    }

    /** Bits per cached value, everything included; NaN for an empty store. */
    public double bitsPerValue() {
        return values == 0 ? Double.NaN : 8.0 * bytes() / values;
    }

    /** Bits per cached value that the per-token bookkeeping adds besides {@link #bitsPerValue}; NaN for an empty store. */
    public double bookkeepingBitsPerValue() {
        return values == 0 ? Double.NaN : 8.0 * bookkeepingBytes / values;
    }

    /** The sum of several stores' footprints (e.g. every layer), segments merged by name in first-seen order. */
    public static KvFootprint sum(List<KvFootprint> parts) {
        Map<String, Segment> merged = new LinkedHashMap<>();
        long values = 0, bookkeeping = 0;
        for (KvFootprint p : parts) {
            values += p.values;
            bookkeeping += p.bookkeepingBytes;
            for (Segment s : p.segments) merged.merge(s.name, s, Segment::plus);
        }
        return new KvFootprint(new ArrayList<>(merged.values()), values, bookkeeping);
    }

    /** A few lines for stderr: one per segment, the total, and the bookkeeping besides it (when there is any). */
    public String describe(String indent) {
        StringBuilder b = new StringBuilder();
        for (Segment s : segments) {
            b.append(String.format(Locale.ROOT, "%s%-12s %8d tokens  %12d B  (codes %d, scales %d, zeros %d, rows %d)%n",
                    indent, s.name, s.tokens, s.bytes(), s.codeBytes, s.scaleBytes, s.zeroBytes, s.rowBytes));
        }
        b.append(String.format(Locale.ROOT, "%stotal        %12d B for %d values: %.4f bits per value", indent, bytes(), values,
                bitsPerValue()));
        if (bookkeepingBytes > 0) {
            b.append(String.format(Locale.ROOT, "%n%sbookkeeping  %12d B besides (segment, slot, modality per token): +%.4f bits per value",
                    indent, bookkeepingBytes, bookkeepingBitsPerValue()));
        }
        return b.toString();
    }
}
