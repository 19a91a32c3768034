package dev.akvq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exit statuses and texts every {@code ./akvq bench} report shares (ReportCommand). */
class ReportCommandTest {
    private static final ReportCommand COMMAND = new ReportCommand("demo", "a demo report", "HELP TEXT\n\nExamples:\n  x\n");

    /** What one run printed and returned. */
    private record Outcome(int status, String out, String err) {}

    private static Outcome run(ReportCommand.Body body, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = COMMAND.run(args, body, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpAnywherePrintsTheHelpToStdoutWithoutRunningTheBody() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"--runs", "2", "--help"}, new String[] {"x", "-h"})) {
            List<String> ran = new ArrayList<>();
            Outcome o = run(a -> ran.add("ran"), args);
            assertEquals(new Outcome(0, COMMAND.help(), ""), o, String.join(" ", args));
            assertTrue(ran.isEmpty(), "the report ran on " + String.join(" ", args));
        }
    }

    @Test
    void badUsageIsOneLineAndAPointerOnStderrWithStatus2() {
        Outcome o = run(a -> COMMAND.flags(a, "runs").positiveInt("runs", 3), "--runs", "x");
        assertEquals(new Outcome(2, "", "akvq bench demo: --runs expects a positive whole number, got 'x'\n"
                + "See './akvq bench demo --help'.\n"), o);
        assertEquals(2, run(a -> COMMAND.flags(a, "runs"), "--other", "1").status());
        assertEquals(2, run(a -> COMMAND.flags(a, "runs"), "--runs").status());
    }

    @Test
    void aFailureIsOneLineWithStatus1AndNoStackTrace() {
        Outcome o = run(a -> {
            throw new IllegalStateException("no result for x");
        });
        assertEquals(new Outcome(1, "", "akvq bench demo: error: no result for x\n"), o);
        assertEquals(0, run(a -> { }).status());
    }

    @Test
    void atLeastNamesTheArgumentAndTheBound() {
        assertEquals(0, ReportCommand.atLeast("WARMUP", "0", 0));
        assertEquals(7, ReportCommand.atLeast("WARMUP", "7", 0));
        UsageException e = assertThrows(UsageException.class, () -> ReportCommand.atLeast("THREADS", "0", 1));
        assertEquals("THREADS expects a whole number >= 1, got '0'", e.getMessage());
        assertThrows(UsageException.class, () -> ReportCommand.atLeast("THREADS", "two", 1));
        assertThrows(UsageException.class, () -> ReportCommand.atLeast("THREADS", "99999999999", 1));
    }

    @Test
    void theOverviewListsEveryReportAndEndsWithExamples() {
        String overview = ReportCommand.overview();
        for (ReportCommand c : ReportCommand.all()) {
            assertTrue(overview.contains("  " + c.name() + " "), c.name());
            assertTrue(c.help().contains("Examples:\n"), c.name() + "'s help has no examples");
            assertFalse(c.help().substring(c.help().lastIndexOf("Examples:")).contains("Options:"), c.name());
        }
        assertTrue(overview.contains("\nExamples:\n"));
    }
}
