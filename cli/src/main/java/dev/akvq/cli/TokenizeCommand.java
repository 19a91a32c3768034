package dev.akvq.cli;

import dev.akvq.tokenizer.Tokenizer;
import dev.akvq.weights.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code akvq tokenize}: encodes the {@code text} of each JSON line with a tokenizer.json. */
final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "encode JSON lines with a tokenizer.json";
    }

    @Override
    public String help() {
        return """
                akvq tokenize: encode text with a Hugging Face tokenizer.json

                Usage: akvq tokenize --tokenizer DIR --jsonl FILE [--add-special-tokens]

                Reads FILE, one JSON object per line with a "text" field, and writes one line
                {"ids": [...]} per input line to stdout, in order. BPE tokenizers: byte-level
                (GPT-2, Qwen, Llama 3, SmolLM) and SentencePiece-style with byte fallback
                (Llama 2; Mistral's Metaspace), with Split, Digits, Whitespace, Punctuation
                pre-tokenizers and NFC/NFD/NFKC/NFKD, Lowercase, Strip normalizers.

                Options:
                  --tokenizer DIR         a folder with tokenizer.json
                  --jsonl FILE            JSON lines with a "text" field
                  --add-special-tokens    apply the post-processor (e.g. BOS), as encode(..., add_special_tokens=True)

                Example:
                  akvq tokenize --tokenizer tests/src/test/resources/fixtures/tokenizers/gpt2 \\
                      --jsonl tests/src/test/resources/fixtures/tokenizers/corpus.jsonl
                """;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = Flags.parse(name(), args, Set.of("tokenizer", "jsonl"), Set.of("add-special-tokens"));
        Path input = flags.existingFile("jsonl");
        Tokenizer tokenizer = Tokenizer.load(flags.existingDirectory("tokenizer"));
        boolean special = flags.has("add-special-tokens");
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int lineNumber = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(input), decoder))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank()) continue;
                String text = Json.parseObject(line, input + " line " + lineNumber).requireString("text");
                int[] ids = tokenizer.encode(text, special);
                StringBuilder json = new StringBuilder("{\"ids\": [");
                for (int i = 0; i < ids.length; i++) json.append(i == 0 ? "" : ", ").append(ids[i]);
                out.println(json.append("]}"));
            }
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(input + " line " + (lineNumber + 1) + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException(input + ": cannot read: " + e.getMessage(), e);
        }
        out.flush();
        return 0;
    }
}
