package dev.akvq.apiuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.akvq.api.AkvqModel;
import dev.akvq.api.Generation;
import dev.akvq.api.GenerationListener;
import dev.akvq.api.GenerationRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embeddable API as a user sees it: only {@code dev.akvq.api} (this package is outside it, so
 * nothing package-level is reachable). The expected answer is llava-shapes' eval_single row
 * single-000 as transformers generated it (fp32.generated_ids / generated_text of its prompts.jsonl).
 */
class PublicApiTest {
    private static final Path MODEL = Path.of(System.getProperty("akvq.fixtures"), "models", "llava-shapes");
    private static final Path IMAGE = MODEL.resolve("eval_single/images/041.png");
    private static final int[] REFERENCE_IDS = {383, 22950, 318, 4077, 13, 50256};
    private static AkvqModel model;

    @BeforeAll
    static void load() {
        model = AkvqModel.load(MODEL, 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void generatesTheReferenceAnswerStreamedTokenByToken() {
        assertEquals("llava", model.modelType());
        List<Integer> ids = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        Generation g = model.generate(GenerationRequest.of("What color is the triangle?").withImages(List.of(IMAGE)),
                new GenerationListener() {
                    @Override
                    public void onToken(int tokenId, String text) {
                        ids.add(tokenId);
                        streamed.append(text);
                    }

                    @Override
                    public void onFinish(String heldText) {
                        streamed.append(heldText);
                    }
                });
        assertArrayEquals(REFERENCE_IDS, g.tokenIds());
        assertArrayEquals(REFERENCE_IDS, ids.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(" The triangle is green.", g.text());
        assertEquals(g.text(), streamed.toString());
        assertEquals("eos", g.stopReason());
        // USER: Image 1: <image>\n...: the image's 16 tokens and the text around them.
        assertTrue(g.promptTokens() > 16, "prompt tokens " + g.promptTokens());
        // FP32: 6 layers x 2 (K, V) x heads x head_dim floats of 4 bytes per cached token, exactly 32 bits a value.
        assertEquals(32.0, g.kvBitsPerValue(), 0.0);
        assertTrue(g.kvCacheBytes() > 0);
    }

    @Test
    void aTwoBitCacheGivesTheSameAnswerInFewerBitsAndTheTokenLimitStops() {
        // rtn2: every cached token at INT2 (akvq's 128-token FP16 window would hold this whole short prompt).
        GenerationRequest request = GenerationRequest.of("What color is the triangle?").withImages(List.of(IMAGE));
        Generation fp32 = model.generate(request);
        Generation rtn2 = model.generate(request.withKvMode("rtn2"));
        assertArrayEquals(fp32.tokenIds(), rtn2.tokenIds());
        assertTrue(rtn2.kvBitsPerValue() < 3.0 && rtn2.kvBitsPerValue() > 2.0, "rtn2 bits " + rtn2.kvBitsPerValue());
        assertTrue(rtn2.kvCacheBytes() * 10 < fp32.kvCacheBytes(), rtn2.kvCacheBytes() + " vs " + fp32.kvCacheBytes());

        Generation two = model.generate(request.withMaxNewTokens(2));
        assertArrayEquals(new int[] {REFERENCE_IDS[0], REFERENCE_IDS[1]}, two.tokenIds());
        assertEquals("length", two.stopReason());
    }

    @Test
    void badRequestsAreRefusedNamingWhatIsWrong() {
        var mode = assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of("x").withKvMode("int3"));
        assertTrue(mode.getMessage().contains("int3"), mode.getMessage());
        var missing = assertThrows(RuntimeException.class,
                () -> model.generate(GenerationRequest.of("x").withImages(List.of(MODEL.resolve("absent.png")))));
        assertTrue(missing.getMessage().contains("absent.png"), missing.getMessage());
    }
}
