package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every option is honoured or refused, never dropped: fractional and out-of-range numbers,
 * sampling flags while decoding greedily, KV settings the mode does not read, a --kv-group
 * wider than a head; --threads above the cores is capped with a note. Also help and version.
 */
class OptionValidationTest {
    private static final String LLAMA = Fixtures.model("llama").toString();

    private static Cli.Result run(String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--model", LLAMA, "--prompt-ids", "1,20,30", "--max-new-tokens", "2"));
        args.addAll(List.of(extra));
        return Cli.akvq(args.toArray(String[]::new));
    }

    private static void refused(Cli.Result r, String message) {
        assertEquals(2, r.status(), r.err() + r.out());
        assertTrue(r.err().contains(message), r.err());
        assertTrue(r.out().isEmpty(), "nothing generated: " + r.out());
    }

    @Test
    void samplingNumbersAreWholeAndInRange() {
        refused(run("--temperature", "1", "--seed", "1.9"), "--seed expects a whole number, got '1.9'");
        refused(run("--temperature", "1", "--seed", "99999999999999999999"), "--seed expects a whole number");
        refused(run("--temperature", "1", "--top-k", "2.5"), "--top-k expects a whole number >= 0");
        refused(run("--temperature", "1", "--top-k", "-1"), "--top-k expects a whole number >= 0");
        refused(run("--temperature", "1", "--top-p", "1.5"), "--top-p expects a number in (0, 1]");
        refused(run("--temperature", "-1"), "--temperature expects a finite number >= 0");
        assertEquals(0, run("--temperature", "1", "--seed", "-7", "--top-k", "5").status());
    }

    @Test
    void samplingFlagsWhileDecodingGreedilyAreRefused() {
        refused(run("--seed", "5"), "--seed has no effect when decoding greedily (generation_config.json does not sample)");
        refused(run("--temperature", "0", "--top-k", "4", "--top-p", "0.5"),
                "--top-k, --top-p have no effect when decoding greedily (--temperature 0)");
    }

    @Test
    void kvSettingsTheModeDoesNotReadAreRefused() {
        refused(run("--kv", "fp16", "--kv-window", "4"), "--kv-window does not apply to --kv fp16 (it applies to --kv rtn2, rtn4, sink, smoothquant, skvq, akvq, akvq-kc)");
        refused(run("--kv", "kivi2", "--kv-pivots", "2"), "--kv-pivots does not apply to --kv kivi2 (it applies to --kv akvq, akvq-kc)");
        refused(run("--kv", "akvq", "--kv-key-block", "8"), "--kv-key-block does not apply to --kv akvq (it applies to --kv akvq-kc)");
        refused(run("--kv-layers", "llava-1.5"), "--kv-layers does not apply to --kv fp32");
        refused(run("--kv", "fp32", "--kv-prefill-quantized"), "--kv-prefill-quantized does not apply to --kv fp32");
        assertEquals(0, run("--kv", "fp16", "--kv-rotation", "on", "--kv-stats").status());
        Path llava = Fixtures.model("llava-shapes");
        Cli.Result eval = Cli.akvq("eval", "--model", llava.toString(), "--set", llava.resolve("eval/prompts.jsonl").toString(),
                "--limit", "1", "--kv", "fp16", "--kv-window", "8");
        refused(eval, "--kv-window does not apply to any of the --kv modes given (fp16)");
        Cli.Result entry = Cli.akvq("eval", "--model", llava.toString(), "--set", llava.resolve("eval/prompts.jsonl").toString(),
                "--limit", "1", "--kv", "x=rtn2 --kv-pivots 3");
        refused(entry, "--kv-pivots does not apply to --kv rtn2");
    }

    @Test
    void aKvGroupWiderThanAHeadIsRefused(@TempDir Path tmp) {
        refused(run("--kv", "akvq", "--kv-group", "32"), "--kv-group 32 is larger than head_dim 16 of " + LLAMA);
        Cli.Result trace = Cli.akvq("trace", "--model", LLAMA, "--inputs", Fixtures.model("llama").resolve("goldens.safetensors").toString(),
                "--out", tmp.resolve("t.safetensors").toString(), "--kv", "rtn2", "--kv-group", "64");
        refused(trace, "--kv-group 64 is larger than head_dim 16");
        assertEquals(0, run("--kv", "rtn2", "--kv-group", "16").status());
    }

    @Test
    void moreThreadsThanCoresAreCappedWithANote() {
        int cores = Runtime.getRuntime().availableProcessors();
        Cli.Result r = run("--threads", String.valueOf(cores + 3));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("akvq run: note: --threads " + (cores + 3) + " is more than the " + cores + " cores; using " + cores), r.err());
        assertTrue(r.err().contains("(" + cores + " threads"), r.err());
        assertTrue(!run("--threads", "1").err().contains("note:"));
    }

    @Test
    void helpVersionAndAPromptThatLooksLikeAFlag() {
        Cli.Result help = Cli.akvq("help", "inspect");
        assertEquals(0, help.status());
        assertTrue(help.out().startsWith("akvq inspect: "), help.out());
        assertEquals(2, Cli.akvq("help", "nope").status());
        Cli.Result version = Cli.akvq("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().matches("akvq \\d+\\.\\d+\\.\\d+\\S* \\(Java .*, \\d+ cores, \\d+ float lanes.*\\)\\n"), version.out());
        // -h as --prompt's value is the prompt; after a switch or a value it asks for help
        Path llava = Fixtures.model("llava-shapes");
        Cli.Result prompt = Cli.akvq("run", "--model", llava.toString(), "--prompt", "-h", "--max-new-tokens", "1");
        assertEquals(0, prompt.status(), prompt.err());
        assertTrue(prompt.err().contains("generated 1 tokens"), prompt.err());
        assertTrue(Cli.akvq("run", "--kv-stats", "-h").out().startsWith("akvq run: "));
        assertTrue(Cli.akvq("run", "--model", "x", "--help").out().startsWith("akvq run: "));
        assertTrue(Cli.akvq("run", "--bogus", "--help").out().startsWith("akvq run: "));
    }

    @Test
    void aMissingPathIsWordedOneWayNamingItsFlag(@TempDir Path tmp) {
        String missing = tmp.resolve("nothing here").toString();
        refused(Cli.akvq("run", "--model", missing, "--prompt-ids", "1"), "--model " + missing + ": no such directory");
        refused(Cli.akvq("eval", "--model", LLAMA, "--set", missing), "--set " + missing + ": no such file");
        refused(Cli.akvq("tokenize", "--tokenizer", LLAMA, "--jsonl", missing), "--jsonl " + missing + ": no such file");
        refused(Cli.akvq("preprocess", "--processor", Fixtures.model("llava").toString(), "--image", missing, "--out",
                tmp.resolve("o.safetensors").toString()), "--image " + missing + ": no such file");
        refused(Cli.akvq("eval", "--model", LLAMA, "--set", tmp.toString()), "--set " + tmp + ": a directory, not a file");
    }

    @Test
    void helpTextsHaveNoBrokenLines() {
        for (String command : new String[] {"demo", "inspect", "run", "trace", "preprocess", "eval", "calibrate", "tokenize"}) {
            String help = Cli.akvq(command, "--help").out();
            String[] lines = help.split("\n");
            for (int i = 0; i + 1 < lines.length; i++) {
                // a prose line that ends far short of the width while the next line continues the sentence
                String line = lines[i], next = lines[i + 1];
                boolean prose = !line.isBlank() && !line.strip().startsWith("-") && !line.strip().startsWith("akvq ")
                        && !line.endsWith(":") && !line.endsWith(".") && !line.endsWith("\\") && !next.isBlank()
                        && indent(next) == indent(line) && !next.strip().startsWith("-") && !next.strip().startsWith("akvq ")
                        && !line.strip().contains("  ") && !next.strip().contains("  ");   // not a table
                assertTrue(!prose || line.length() >= 60, command + " --help, a broken line:\n" + line + "\n" + next);
                assertTrue(line.length() <= 130, command + " --help, a line of " + line.length() + " characters:\n" + line);
            }
        }
    }

    private static int indent(String s) {
        return s.length() - s.stripLeading().length();
    }
}
