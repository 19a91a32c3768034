package dev.akvq.cli;

import dev.akvq.model.Trace;
import dev.akvq.model.VisionLanguageModel;
import dev.akvq.model.generate.Decoding;
import dev.akvq.model.generate.Sampler;
import dev.akvq.model.generate.StopCondition;
import dev.akvq.model.generate.TokenSequence;
import dev.akvq.quant.kv.KvCacheSettings;
import dev.akvq.template.ChatTemplate;
import dev.akvq.template.TemplateRaisedError;
import dev.akvq.tokenizer.StreamingDecoder;
import dev.akvq.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code akvq run --chat}: a multi-turn conversation on stdin/stdout. Each line is a user
 * message ({@code /image PATH} attaches an image to the next one, {@code /reset} clears the
 * history, {@code /exit} or the end of input quits); the whole history is rendered with the
 * model's chat template and the reply streamed to stdout, one line per turn.
 *
 * <p>The KV cache is kept between turns. When the new rendering starts with the text the cache
 * holds (the previous prompt and the reply as generated), only the rest is tokenized and fed
 * token by token (a sequence has no multi-token append, so this suffix runs as decode steps).
 * Otherwise (the template rewrote an earlier turn, or a new image needs the vision tower) the
 * whole conversation is prefilled again, and stderr says why.
 */
final class ChatSession {
    private final VisionLanguageModel model;
    private final ChatTemplate template;
    private final KvCacheSettings settings;
    private final Sampler sampler;
    private final StopCondition stop;
    private final PrintStream out, err;
    private final AtomicBoolean interrupted;
    private final AtomicBoolean waitingForInput;
    private final Tokenizer tokenizer;

    private final List<Map<String, Object>> messages = new ArrayList<>();
    private final List<Path> images = new ArrayList<>();
    private TokenSequence cached;
    /** The text whose tokens the cache holds: the last rendered prompt and the reply tokens fed after it. */
    private String cachedText;

    ChatSession(VisionLanguageModel model, ChatTemplate template, KvCacheSettings settings, Sampler sampler, StopCondition stop,
            PrintStream out, PrintStream err, AtomicBoolean interrupted, AtomicBoolean waitingForInput) {
        this.model = model;
        this.template = template;
        this.settings = settings;
        this.sampler = sampler;
        this.stop = stop;
        this.out = out;
        this.err = err;
        this.interrupted = interrupted;
        this.waitingForInput = waitingForInput;
        this.tokenizer = model.tokenizer();
    }

    /** Reads messages until the end of input or /exit; {@code firstImages} go with the first message. */
    void run(BufferedReader in, List<Path> firstImages) {
        List<Path> pending = new ArrayList<>(firstImages);
        err.println("akvq chat: type a message and Enter. /image PATH attaches an image to the next message, /reset clears "
                + "the conversation, /exit or end of input quits. Template: " + template.origin());
        try {
            while (!interrupted.get()) {
                waitingForInput.set(true);   // Ctrl-C while reading ends the session at once
                String line = in.readLine();
                waitingForInput.set(false);
                if (line == null) break;
                String command = line.strip();
                if (command.equals("/exit") || command.equals("/quit")) break;
                if (command.equals("/reset")) {
                    reset();
                    err.println("akvq chat: conversation cleared");
                } else if (command.startsWith("/image")) {
                    Path file = Path.of(command.substring("/image".length()).strip());
                    if (!model.takesImages()) err.println("akvq chat: " + model.directory() + " takes no images; /image ignored");
                    else if (!Files.isRegularFile(file)) err.println("akvq chat: /image: " + file + " is not a file");
                    else {
                        pending.add(file);
                        err.println("akvq chat: " + file + " goes with the next message");
                    }
                } else if (!command.isEmpty()) {
                    turn(line, pending);
                    pending.clear();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the conversation from stdin: " + e.getMessage(), e);
        } finally {
            reset();
        }
    }

    private void reset() {
        if (cached != null) cached.close();
        cached = null;
        cachedText = null;
        messages.clear();
        images.clear();
    }

    private void turn(String text, List<Path> newImages) {
        messages.add(TemplatePrompt.message("user", text, newImages.size(), model.takesImages()));
        images.addAll(newImages);
        String rendered;
        try {
            rendered = template.render(messages, true, Map.of());
        } catch (TemplateRaisedError e) {
            messages.removeLast();
            images.subList(images.size() - newImages.size(), images.size()).clear();
            err.println("akvq chat: the chat template refused the conversation: " + e.getMessage());
            return;
        }
        long start = System.nanoTime();
        int fed = feed(rendered, newImages.isEmpty());
        double promptSeconds = (System.nanoTime() - start) / 1e9;

        long decodeStart = System.nanoTime();
        StreamingDecoder reply = tokenizer.streamingDecoder(true);
        int[] generated = Decoding.run(cached, sampler, stop, token -> {
            out.print(reply.push(token));   // "" until a character split across tokens is whole
            out.flush();
        }, interrupted::get).tokens();
        out.println(reply.finish());
        out.flush();
        double decodeSeconds = (System.nanoTime() - decodeStart) / 1e9;
        // The cache holds every sampled token but the last (never fed back): that is the text after the prompt.
        int[] inCache = java.util.Arrays.copyOf(generated, generated.length - 1);
        cachedText = rendered + tokenizer.decode(inCache, false);
        int[] answer = stop.isEos(generated[generated.length - 1]) ? inCache : generated;
        // Stripped, as chat front ends keep a reply: a template writes its own separator before it.
        messages.add(TemplatePrompt.message("assistant", tokenizer.decode(answer, true).strip(), 0, model.takesImages()));
        err.printf("akvq chat: %d prompt tokens fed in %.3f s, %d generated in %.3f s (%.1f tok/s); KV cache %s for %d tokens%n",
                fed, promptSeconds, generated.length, decodeSeconds, generated.length / decodeSeconds,
                InspectCommand.bytes(cached.kvBytes()), cached.length());
    }

    /** Brings the cache up to {@code rendered}; returns the tokens fed. */
    private int feed(String rendered, boolean noNewImage) {
        if (cached != null && noNewImage && rendered.startsWith(cachedText)) {
            int[] suffix = tokenizer.encode(rendered.substring(cachedText.length()), false);
            for (int id : suffix) cached.step(id);
            err.printf("akvq chat: reusing the KV cache of %d tokens; feeding the %d new ones as decode steps%n",
                    cached.length() - suffix.length, suffix.length);
            return suffix.length;
        }
        if (cached != null) {
            err.println("akvq chat: prefilling the whole conversation again: " + (noNewImage
                    ? "the template rendered the earlier turns differently from what the cache holds"
                    : "a new image goes through the vision tower"));
            cached.close();
        }
        cached = model.prefill(TemplatePrompt.input(model, template, rendered, images), settings, Trace.NONE);
        cachedText = rendered;
        return cached.promptTokens();
    }
}
