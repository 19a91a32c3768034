package dev.akvq.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Writes the README's "Error per fixture" table: {@link KvFixtureReport#MODES} on every fixture, to
 * {@code tests/target/kvreport.md}. Its name keeps it out of the normal suite (a few minutes on 2
 * cores); run it by name:
 * {@code mvn -B -q -o -pl tests -am test -Dtest=KvReportTable -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class KvReportTable {
    @Test
    void writeTheTable() throws IOException {
        Path tmp = KvFixtureReport.tempDirectory();
        StringBuilder md = new StringBuilder("Generated " + Instant.now() + " by KvReportTable.\n");
        StringBuilder comparison = new StringBuilder(KvFixtureReport.COMPARISON_HEADER);
        for (KvFixtureReport.Fixture f : KvFixtureReport.fixtures()) {
            long start = System.nanoTime();
            KvFixtureReport.Reference ref = KvFixtureReport.reference(f, tmp);
            List<KvFixtureReport.Row> rows = new ArrayList<>();
            for (KvFixtureReport.Mode mode : KvFixtureReport.MODES) rows.add(KvFixtureReport.measure(f, ref, mode, tmp));
            String section = String.format(Locale.ROOT, "%n### %s (%d prompt tokens, %d layers; %.0f s)%n%n", f.name(),
                    ref.logits().length / ref.vocab(), ref.layers(), (System.nanoTime() - start) / 1e9)
                    + KvFixtureReport.format(f, rows);
            System.out.println(section);
            md.append(section);
            comparison.append(KvFixtureReport.comparison(f, rows));
        }
        md.append("\n### akvq at comparable bits (within ").append(KvFixtureReport.COMPARABLE_BITS).append(" of rtn2)\n\n")
                .append(comparison);
        System.out.println(comparison);
        Path out = Path.of("target", "kvreport.md");
        Files.writeString(out, md);
        System.out.println("wrote " + out.toAbsolutePath());
        Files.delete(tmp);
    }
}
