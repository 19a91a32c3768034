package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonArray;
import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonString;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The BPE model of tokenizer.json ("model": {"type": "BPE"}): a word is split into characters,
 * then the adjacent pair with the lowest merge rank is merged, leftmost first, until no pair has
 * a merge (tokenizers/src/models/bpe/model.rs and word.rs, v0.22). A character missing from the
 * vocab becomes its UTF-8 bytes as "<0xNN>" tokens when byte_fallback is on, else the unk token
 * (runs of them fused into one with fuse_unk), else it is dropped. Dropout and subword
 * prefixes/suffixes are rejected at load, since no supported tokenizer uses them yet.
 */
public final class BytePairModel {
    private final Map<String, Integer> vocab;
    private final int[] singleCharIds = new int[Character.MAX_VALUE + 1]; // by char, the id of that one-char token or -1
    private final MergeTable merges;
    private final boolean ignoreMerges;
    private final boolean byteFallback;
    private final Integer unkId; // null: no unk token
    private final boolean fuseUnk;
    /**
     * Words already merged. As tokenizers' Cache (utils/cache.rs, v0.22) it stops taking words
     * once it holds CACHE_CAPACITY of them and skips words of CACHE_MAX_WORD chars or more, so
     * memory stays bounded however much text is encoded.
     */
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private static final int CACHE_CAPACITY = 10_000, CACHE_MAX_WORD = 256;

    private BytePairModel(Map<String, Integer> vocab, MergeTable merges, boolean ignoreMerges, boolean byteFallback,
                          Integer unkId, boolean fuseUnk) {
        this.vocab = vocab;
        Arrays.fill(singleCharIds, -1);
        vocab.forEach((token, id) -> {
            if (token.length() == 1) singleCharIds[token.charAt(0)] = id;
        });
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
    }

    /** Reads the "model" object of tokenizer.json. */
    public static BytePairModel fromJson(JsonObject model) {
        checkType(model);
        Map<String, JsonValue> vocabJson = model.requireObject("vocab").members();
        Map<String, Integer> vocab = HashMap.newHashMap(vocabJson.size());
        for (Map.Entry<String, JsonValue> e : vocabJson.entrySet()) {
            if (!(e.getValue() instanceof JsonNumber n) || n.intValueExact().isEmpty())
                throw model.fieldError("vocab", "entry \"" + e.getKey() + "\": expected an integer id, found " + e.getValue().describe());
            vocab.put(e.getKey(), n.intValueExact().get());
        }
        JsonArray mergeList = model.requireArray("merges");
        List<String[]> merges = new ArrayList<>(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) merges.add(mergePair(mergeList.get(rank), model, rank));
        return build(model, vocab, merges);
    }

    /**
     * The same, with the vocab and merges already read ({@link TokenizerJsonReader}'s fast path);
     * {@code model} holds the model's other fields.
     */
    static BytePairModel fromParts(JsonObject model, Map<String, Integer> vocab, List<String[]> merges) {
        checkType(model);
        return build(model, vocab, merges);
    }

    private static void checkType(JsonObject model) {
        String type = model.requireString("type");
        if (!type.equals("BPE")) {
            throw model.fieldError("type", "model type \"" + type + "\" is not supported; akvq reads BPE models only"
                    + " (GPT-2, Qwen, Llama, Mistral), not Unigram, WordPiece or WordLevel");
        }
        if (model.optDouble("dropout").isPresent()) throw model.fieldError("dropout", "BPE dropout is not supported; expected null");
        if (!model.stringOr("continuing_subword_prefix", "").isEmpty()) throw model.fieldError("continuing_subword_prefix", "expected \"\" or null");
        if (!model.stringOr("end_of_word_suffix", "").isEmpty()) throw model.fieldError("end_of_word_suffix", "expected \"\" or null");
    }

    /** Ids index arrays of the vocab's size; a larger one is a broken file, not a big vocab. */
    private static final int MAX_ID = 1 << 24;

    private static BytePairModel build(JsonObject model, Map<String, Integer> vocab, List<String[]> mergePairs) {
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getValue() < 0 || e.getValue() >= MAX_ID)
                throw model.fieldError("vocab", "entry \"" + e.getKey() + "\": id " + e.getValue() + " is outside [0, " + MAX_ID + ")");
        }
        // The vocab lookups (three per merge, 151k merges for Qwen) run in parallel; the table is filled in rank order.
        int n = mergePairs.size();
        int[] lefts = new int[n], rights = new int[n], mergedIds = new int[n];
        IntStream.range(0, n).parallel().forEach(rank -> {
            String[] pair = mergePairs.get(rank);
            lefts[rank] = vocab.getOrDefault(pair[0], -1);
            rights[rank] = vocab.getOrDefault(pair[1], -1);
            mergedIds[rank] = vocab.getOrDefault(pair[0] + pair[1], -1);
        });
        MergeTable merges = new MergeTable(n);
        for (int rank = 0; rank < n; rank++) {
            if (lefts[rank] < 0 || rights[rank] < 0 || mergedIds[rank] < 0) {
                String[] pair = mergePairs.get(rank);
                throw model.fieldError("merges", "merge " + rank + " (\"" + pair[0] + "\", \"" + pair[1]
                        + "\"): a part or the merged token is not in the vocab");
            }
            merges.putIfAbsent(lefts[rank], rights[rank], rank, mergedIds[rank]);
        }
        Integer unkId = null;
        Optional<String> unk = model.optString("unk_token");
        if (unk.isPresent()) {
            unkId = vocab.get(unk.get());
            if (unkId == null) throw model.fieldError("unk_token", "\"" + unk.get() + "\" is not in the vocab");
        }
        return new BytePairModel(vocab, merges, model.booleanOr("ignore_merges", false), model.booleanOr("byte_fallback", false),
                unkId, model.booleanOr("fuse_unk", false));
    }

    /** A merge is written either "a b" (older files) or ["a", "b"] (tokenizers >= 0.20). */
    private static String[] mergePair(JsonValue v, JsonObject model, int rank) {
        if (v instanceof JsonString s) {
            String[] parts = s.value().split(" ", -1);
            if (parts.length == 2) return parts;
        } else if (v instanceof JsonArray a && a.size() == 2
                && a.get(0) instanceof JsonString l && a.get(1) instanceof JsonString r) {
            return new String[] {l.value(), r.value()};
        }
        throw model.fieldError("merges", "merge " + rank + ": expected \"a b\" or [\"a\", \"b\"], found " + v.describe());
    }

    public Optional<Integer> tokenToId(String token) {
        return Optional.ofNullable(vocab.get(token));
    }

    /** The vocab tokens with these ids (one pass over the vocab; for load-time checks). */
    Map<Integer, String> tokensOf(java.util.Set<Integer> ids) {
        Map<Integer, String> out = new HashMap<>();
        if (ids.isEmpty()) return out;
        vocab.forEach((token, id) -> {
            if (ids.contains(id)) out.put(id, token);
        });
        return out;
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** One more than the largest vocab id: ids may have gaps (left for added tokens), so this can exceed {@link #vocabSize()}. */
    int idLimit() {
        int limit = 0;
        for (int id : vocab.values()) limit = Math.max(limit, id + 1);
        return limit;
    }

    /** The vocab as an id-indexed table; gaps (ids used only by added tokens) are null. */
    String[] idToTokenTable(int size) {
        String[] table = new String[size];
        vocab.forEach((token, id) -> table[id] = token);
        return table;
    }

    /** Appends the ids of one pre-tokenized word. */
    public void encodeWord(String word, List<Integer> out) {
        for (int id : wordIds(word)) out.add(id);
    }

    /** The ids of one pre-tokenized word (shared with the cache: do not modify). */
    int[] wordIds(String word) {
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = mergeWord(word);
            if (word.length() < CACHE_MAX_WORD && cache.size() < CACHE_CAPACITY) cache.put(word, ids);
        }
        return ids;
    }

    /** The id of a one-character token, by char (BMP characters only; -1 when none): byte-level words are all such. */
    private int charId(char c) {
        return singleCharIds[c];
    }

    private int[] mergeWord(String word) {
        if (ignoreMerges && vocab.containsKey(word)) return new int[] {vocab.get(word)};
        IntList ids = new IntList(word.length());
        boolean unkPending = false; // model.rs merge_word keeps the last unk open so fuse_unk can extend it
        for (int i = 0; i < word.length(); ) {
            int end = i + Character.charCount(word.codePointAt(i));
            int single = end == i + 1 ? charId(word.charAt(i)) : -1;
            String ch = single >= 0 ? null : word.substring(i, end);
            i = end;
            Integer id = single >= 0 ? Integer.valueOf(single) : vocab.get(ch);
            if (id != null) {
                if (unkPending) ids.add(unkId);
                unkPending = false;
                ids.add(id);
                continue;
            }
            if (byteFallback) {
                int[] byteIds = byteTokens(ch);
                if (byteIds != null) {
                    // As model.rs does, the byte tokens go in before a still-open unk.
                    for (int b : byteIds) ids.add(b);
                    continue;
                }
            }
            // Without an unk token, tokenizers drops a character missing from the vocab.
            if (unkId == null) continue;
            if (unkPending && !fuseUnk) ids.add(unkId);
            unkPending = true;
        }
        if (unkPending) ids.add(unkId);
        return mergeAll(ids.toArray());
    }

    /** The ids of "<0xNN>" (upper-case hex, format!("<{:#04X}>")) for each UTF-8 byte of {@code ch}, or null if one is missing. */
    private int[] byteTokens(String ch) {
        byte[] bytes = ch.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] out = new int[bytes.length];
        for (int k = 0; k < bytes.length; k++) {
            Integer id = vocab.get(String.format("<0x%02X>", bytes[k] & 0xFF));
            if (id == null) return null;
            out[k] = id;
        }
        return out;
    }

    /**
     * word.rs {@code merge_all}: a queue ordered by (rank, position) holds every adjacent pair
     * with a merge; popping one merges it unless either side has changed since it was queued,
     * then queues the new pairs on both sides. O(n log n), so a 20k-character word is quick.
     */
    private int[] mergeAll(int[] id) {
        int n = id.length;
        int[] prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap queue = new LongHeap();
        for (int i = 0; i + 1 < n; i++) enqueue(queue, id, i, i + 1);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32), pos = (int) top;
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long m = merges.get(id[pos], id[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue; // a side changed since this pair was queued
            id[pos] = (int) m;
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) enqueue(queue, id, prev[pos], pos);
            if (next[pos] >= 0) enqueue(queue, id, pos, next[pos]);
        }
        int[] out = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) if (!gone[i]) out[count++] = id[i];
        return Arrays.copyOf(out, count);
    }

    private void enqueue(LongHeap queue, int[] id, int left, int right) {
        long m = merges.get(id[left], id[right]);
        if (m >= 0) queue.add((m & 0xFFFFFFFF00000000L) | left);
    }
}
