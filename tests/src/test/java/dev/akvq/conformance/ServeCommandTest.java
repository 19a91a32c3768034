package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.server.LoadRun;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code akvq serve} as a command: its flags, and SIGTERM on a real process while a request streams. */
class ServeCommandTest {
    @Test
    void helpEndsWithExamplesAndBadFlagsAreUsageErrors(@TempDir Path tmp) {
        var help = Cli.akvq("serve", "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().strip().lines().reduce((a, b) -> b).orElse("").contains("akvq serve --model"), help.out());
        String model = Fixtures.model("llava-shapes").toString();
        var port = Cli.akvq("serve", "--model", model, "--port", "70000");
        assertEquals(2, port.status());
        assertTrue(port.err().contains("--port expects a whole number in [0, 65535], got '70000'"), port.err());
        var budget = Cli.akvq("serve", "--model", model, "--kv-budget", "lots");
        assertEquals(2, budget.status());
        assertTrue(budget.err().contains("--kv-budget expects a positive byte count"), budget.err());
        var files = Cli.akvq("serve", "--model", model, "--allow-files", tmp.resolve("none").toString());
        assertEquals(2, files.status());
        assertTrue(files.err().contains("--allow-files " + tmp.resolve("none") + ": not a directory"), files.err());
        var benchHelp = Cli.akvq("bench-serve", "--help");
        assertTrue(benchHelp.out().contains("akvq bench serve --model"), benchHelp.out());
    }

    @Test
    void sigtermLetsTheStreamingRequestFinishThenTheProcessExits(@TempDir Path tmp) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path err = tmp.resolve("stderr.txt");
        Path model = Fixtures.model("llava-shapes");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", classpath, "dev.akvq.cli.Main",
                "serve", "--model", model.toString(), "--port", "0", "--threads", "2", "--grace", "120")
                .redirectError(err.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String url = out.readLine();   // printed once the model is loaded
            assertTrue(url != null && url.startsWith("http://127.0.0.1:"), url + "\n" + Files.readString(err));
            URI base = URI.create(url);
            LoadRun.Prompt prompt = LoadRun.readEvalSet(model.resolve("eval/prompts.jsonl"), 1).getFirst();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(ServerClient.chat(prompt.question(), 12, prompt.images())
                            .replaceFirst("}$", ", \"stream\": true}"))).build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, r.statusCode());
            Iterator<String> lines = r.body().iterator();
            assertTrue(lines.next().startsWith("data: "));   // the role chunk: the prompt is prefilled
            p.destroy();   // SIGTERM
            StringBuilder rest = new StringBuilder();
            while (lines.hasNext()) rest.append(lines.next()).append('\n');
            assertTrue(rest.toString().contains("\"finish_reason\":\"stop\""), rest.toString());
            assertTrue(rest.toString().endsWith("data: [DONE]\n\n") || rest.toString().strip().endsWith("data: [DONE]"), rest.toString());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server did not exit after SIGTERM");
            String log = Files.readString(err);
            assertTrue(log.contains("akvq serve: stopping") && log.contains("akvq serve: stopped"), log);
            assertTrue(List.of(0, 143).contains(p.exitValue()), "exit status " + p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}
