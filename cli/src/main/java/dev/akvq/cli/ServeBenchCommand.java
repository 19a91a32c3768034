package dev.akvq.cli;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.engine.SchedulerSettings;
import dev.akvq.server.LoadRun;
import dev.akvq.server.OpenAiServer;
import dev.akvq.tensor.WorkerPool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code akvq bench serve} (the launcher passes it as {@code bench-serve}): starts the server
 * in-process on a loopback port once per KV mode and runs {@link LoadRun}: N concurrent streaming
 * clients over an eval set's prompts, every greedy answer checked against the solo answer and the
 * KV bytes in use checked back at 0; prints one table row per mode.
 */
final class ServeBenchCommand implements Command {
    @Override
    public String name() {
        return "bench-serve";
    }

    @Override
    public String summary() {
        return "load test of akvq serve per KV mode (the launcher's 'bench serve')";
    }

    @Override
    public String help() {
        return """
                akvq bench serve: a load test of the OpenAI-compatible server, per KV mode

                Usage: akvq bench serve --model DIR --set FILE.jsonl [--prompts N] [--clients N] [--requests N]
                                        [--max-tokens N] [--kv MODE]... [--kv-budget BYTES] [--threads N]

                For each --kv mode (default: fp32 fp16 rtn2 kivi2 akvq) starts the server in-process on a free
                127.0.0.1 port, answers each of the set's first --prompts prompts alone (streamed, greedy), then
                has --clients concurrent clients send --requests requests in all, cycling through them. Every
                answer must equal its solo answer, and after the run the server must hold 0 KV bytes; the
                command exits 1 otherwise. With fp32, solo answers are also checked against the set's
                fp32.generated_text when it has one. Prints requests/s, generated tokens/s, p50/p99 time to first
                token and latency, mean KV bytes and bits per value per answer. The set is the llava-shapes
                format (question, images relative to the file).

                Options:
                  --model DIR        a model directory with tokenizer.json
                  --set FILE.jsonl   the prompts (e.g. the model's eval/prompts.jsonl)
                  --prompts N        distinct prompts (default 8)
                  --clients N        concurrent clients (default 4)
                  --requests N       requests in all (default 32)
                  --max-tokens N     max_tokens of each request (default 16)
                  --kv MODE          a mode to measure; repeat for several (default fp32, fp16, rtn2, kivi2, akvq)
                  --kv-budget BYTES  the server's KV budget (default 1GiB)
                  --threads N        worker threads (default: all cores)

                Examples:
                  M=tests/src/test/resources/fixtures/models/llava-shapes
                  akvq bench serve --model $M --set $M/eval/prompts.jsonl --clients 4 --requests 32
                  akvq bench serve --model $M --set $M/eval_single/prompts.jsonl --kv akvq --kv fp16 --clients 8
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Flags flags = Flags.parse("bench serve", args, Set.of("model", "set", "prompts", "clients", "requests", "max-tokens", "kv",
                "kv-budget", "threads"), Set.of());
        Path dir = flags.existingDirectory("model");
        Path set = Path.of(flags.require("set"));
        if (!Files.isRegularFile(set)) throw new UsageException("--set " + set + ": no such file");
        int prompts = flags.positiveInt("prompts", 8), clients = flags.positiveInt("clients", 4);
        int requests = flags.positiveInt("requests", 32), maxTokens = flags.positiveInt("max-tokens", 16);
        int threads = flags.positiveInt("threads", WorkerPool.defaultThreads());
        long budget = flags.optional("kv-budget").map(b -> ServeCommand.bytes("kv-budget", b)).orElse(1L << 30);
        List<KvMode> modes = new ArrayList<>();
        for (String m : flags.all("kv")) {
            try {
                modes.add(KvMode.parse(m));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--kv: " + e.getMessage());
            }
        }
        if (modes.isEmpty()) modes = List.of(KvMode.FP32, KvMode.FP16, KvMode.RTN2, KvMode.KIVI2, KvMode.AKVQ);   // as --help says; the calibrated baselines need a channel file
        List<LoadRun.Prompt> set0 = LoadRun.readEvalSet(set, prompts);
        err.printf(Locale.ROOT, "akvq bench serve: %s, %d prompts of %s, %d clients, %d requests, max_tokens %d, KV budget %d bytes, %d threads%n",
                dir, set0.size(), set, clients, requests, maxTokens, budget, threads);
        out.println("| --kv | requests/s | generated tokens/s | TTFT p50 / p99 (s) | latency p50 / p99 (s) | KV bytes per answer | bits/value | answers = solo |");
        out.println("|---|---|---|---|---|---|---|---|");
        boolean ok = true;
        for (KvMode mode : modes) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            try (OpenAiServer server = OpenAiServer.start(OpenAiServer.Options.loopback(0), new PrintStream(log, true, StandardCharsets.UTF_8))) {
                KvCacheSettings settings = KvFlags.parse(Flags.parse("bench serve", new String[] {"--kv", mode.flag()},
                        KvFlags.WITH_VALUE, KvFlags.SWITCHES), dir);
                server.load(dir, settings, budget, Math.max(16, clients), SchedulerSettings.DEFAULT_MAX_BATCH, threads);
                LoadRun.Summary s = LoadRun.run(server.url(), set0, clients, requests, maxTokens);
                int wrongReference = 0;
                if (mode == KvMode.FP32) {
                    for (LoadRun.Prompt p : set0) {
                        if (p.reference() != null && !p.reference().equals(s.solo().get(p.id()).text())) wrongReference++;
                    }
                }
                out.printf(Locale.ROOT, "| %s | %.2f | %.1f | %.2f / %.2f | %.2f / %.2f | %,.0f | %.2f | %d/%d%s |%n", mode.flag(),
                        s.requestsPerSecond(), s.tokensPerSecond(), s.firstTokenP50(), s.firstTokenP99(), s.latencyP50(), s.latencyP99(),
                        s.meanKvBytes(), s.bitsPerValue(), s.requests() - s.mismatches(), s.requests(),
                        wrongReference > 0 ? "; " + wrongReference + " solo answers differ from the set's fp32 text" : "");
                out.flush();
                if (s.mismatches() > 0 || s.kvBytesAfter() != 0 || wrongReference > 0) {
                    err.println("akvq bench serve: --kv " + mode.flag() + ": " + s.mismatches() + " answers differ from solo, "
                            + s.kvBytesAfter() + " KV bytes still in use after the run");
                    ok = false;
                }
            } finally {
                err.print(log.toString(StandardCharsets.UTF_8));
            }
        }
        return ok ? 0 : 1;
    }
}
