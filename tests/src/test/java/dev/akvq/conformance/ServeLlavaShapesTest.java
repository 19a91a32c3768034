package dev.akvq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.quant.kv.KvMode;
import dev.akvq.server.LoadRun;
import dev.akvq.weights.json.Json;
import dev.akvq.weights.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code akvq serve} on the trained llava-shapes model with its eval prompts: answers equal to the
 * reference (transformers' fp32 greedy text and prompt length) alone and under concurrent
 * clients, the KV cache back to 0 bytes afterwards, AKVQ-VL answers equal to {@code akvq run}'s,
 * and requests that can never fit the context or the KV budget refused with 400 while the
 * server keeps serving.
 */
class ServeLlavaShapesTest {
    private static final Path MODEL = Fixtures.model("llava-shapes");

    private static List<LoadRun.Prompt> prompts() throws Exception {
        List<LoadRun.Prompt> p = new ArrayList<>(LoadRun.readEvalSet(MODEL.resolve("eval_single/prompts.jsonl"), 3));
        p.add(LoadRun.readEvalSet(MODEL.resolve("eval/prompts.jsonl"), 1).getFirst());   // 12+ images, ~300 tokens
        return p;
    }

    @Test
    void concurrentClientsGetTheReferenceAnswersAndTheCacheIsFreedAfterwards() throws Exception {
        List<LoadRun.Prompt> prompts = prompts();
        try (ServerClient s = new ServerClient(MODEL, KvCacheSettings.defaults(KvMode.FP32), 1L << 30, 16)) {
            LoadRun.Summary summary = LoadRun.run(s.server.url(), prompts, 3, 6, 12);
            for (LoadRun.Prompt p : prompts) {
                LoadRun.Answer solo = summary.solo().get(p.id());
                assertEquals(p.reference(), solo.text(), p.id());
                assertEquals(p.referencePromptTokens(), solo.promptTokens(), p.id());
            }
            assertEquals(6, summary.requests());
            assertEquals(0, summary.mismatches(), "answers under load differ from the solo answers");
            assertEquals(0, summary.kvBytesAfter());
            assertEquals(0, LoadRun.gauge(s.http, s.server.url(), "akvq_running_sequences"));
            String metrics = s.get("/metrics");
            assertTrue(metrics.contains("akvq_requests_total{endpoint=\"/v1/chat/completions\",outcome=\"ok\"} 10"), metrics);
            assertTrue(metrics.contains("akvq_time_to_first_token_seconds_count 10"), metrics);
        }
    }

    @Test
    void akvqAnswersEqualRunsAndCostFewerBitsThanFp16() throws Exception {
        LoadRun.Prompt p = prompts().getLast();
        LoadRun.Answer a;
        try (ServerClient s = new ServerClient(MODEL, KvCacheSettings.defaults(KvMode.AKVQ), 1L << 30, 4)) {
            a = LoadRun.ask(s.http, s.server.url(), p, 12);
            String models = s.get("/v1/models");
            assertTrue(models.contains("\"kv_mode\":\"akvq\""), models);
        }
        List<String> args = new ArrayList<>(List.of("run", "--model", MODEL.toString(), "--prompt", p.question(), "--kv", "akvq",
                "--max-new-tokens", "12", "--threads", "2"));
        for (Path i : p.images()) args.addAll(List.of("--image", i.toString()));
        var run = Cli.akvq(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        assertEquals(run.out().substring(0, run.out().length() - 1), a.text());
        assertTrue(a.bitsPerValue() > 2 && a.bitsPerValue() < 16, "bits per value " + a.bitsPerValue());
    }

    @Test
    void requestsThatCanNeverFitAre400sAndTheServerKeepsServing() throws Exception {
        LoadRun.Prompt single = prompts().getFirst(), many = prompts().getLast();
        // fp32 caches 2 x 6 layers x 32 values x 4 bytes per KV head per token (6,144 bytes here): 300,000 bytes hold 48 tokens.
        try (ServerClient s = new ServerClient(MODEL, KvCacheSettings.defaults(KvMode.FP32), 300_000, 4)) {
            String chat = ServerClient.chat(single.question(), 100_000, single.images());
            JsonObject e = error(s.post("/v1/chat/completions", chat));
            assertEquals("context_length_exceeded", e.requireString("code"));
            assertEquals("max_tokens", e.requireString("param"));
            e = error(s.post("/v1/chat/completions", ServerClient.chat(single.question(), 20, single.images())));
            assertEquals("kv_budget_exceeded", e.requireString("code"));
            assertTrue(e.requireString("message").contains("48 tokens"), e.requireString("message"));
            e = error(s.post("/v1/chat/completions", ServerClient.chat(many.question(), 1, many.images())));
            assertEquals("kv_budget_exceeded", e.requireString("code"));
            ServerClient.Answer ok = s.answer("/v1/chat/completions", ServerClient.chat(single.question(), 14, single.images())
                    .replace(", \"max_tokens\": 14", ""), false);   // no max_tokens: as many as the budget holds
            assertEquals(single.reference(), ok.text());
            assertTrue(ok.akvq().requireLong("kv_bytes") <= 300_000);
        }
    }

    private static JsonObject error(HttpResponse<String> r) {
        assertEquals(400, r.statusCode(), r.body());
        return Json.parseObject(r.body(), "error").requireObject("error");
    }
}
