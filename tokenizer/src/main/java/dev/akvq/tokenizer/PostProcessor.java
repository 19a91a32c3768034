package dev.akvq.tokenizer;

import dev.akvq.weights.json.JsonNumber;
import dev.akvq.weights.json.JsonObject;
import dev.akvq.weights.json.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * The "post_processor" of tokenizer.json, for a single sequence: adds the special tokens a
 * model expects when the caller asks for them (tokenizers/src/processors/, v0.22). Supported:
 * ByteLevel (offsets only, ids unchanged), TemplateProcessing's "single" template, and Sequence.
 */
public interface PostProcessor {

    int[] apply(int[] ids, boolean addSpecialTokens);

    PostProcessor NONE = (ids, addSpecialTokens) -> ids;

    static PostProcessor fromJson(JsonObject p) {
        String type = p.requireString("type");
        return switch (type) {
            case "ByteLevel" -> NONE;
            case "TemplateProcessing" -> template(p);
            case "Sequence" -> {
                List<PostProcessor> steps = JsonSteps.read(p, "processors", PostProcessor::fromJson);
                yield (ids, add) -> {
                    for (PostProcessor s : steps) ids = s.apply(ids, add);
                    return ids;
                };
            }
            default -> throw p.fieldError("type", "expected ByteLevel, TemplateProcessing or Sequence, found \"" + type + "\"");
        };
    }

    /**
     * processors/template.rs: the "single" template lists pieces in order, {"SpecialToken":
     * {"id": name}} standing for special_tokens[name].ids and {"Sequence": {"id": "A"}} for the
     * encoded text. Without addSpecialTokens the ids pass through.
     */
    private static PostProcessor template(JsonObject p) {
        JsonObject specials = p.requireObject("special_tokens");
        List<int[]> pieces = new ArrayList<>(); // null marks the sequence
        List<JsonValue> single = p.requireArray("single").elements();
        for (int i = 0; i < single.size(); i++) {
            if (!(single.get(i) instanceof JsonObject piece))
                throw p.fieldError("single", "element " + i + ": expected an object, found " + single.get(i).describe());
            if (piece.has("Sequence")) {
                String id = piece.requireObject("Sequence").requireString("id");
                if (!id.equals("A")) throw p.fieldError("single", "element " + i + ": a single template can only hold sequence \"A\", found \"" + id + "\"");
                pieces.add(null);
            } else if (piece.has("SpecialToken")) {
                String name = piece.requireObject("SpecialToken").requireString("id");
                JsonObject special = specials.optObject(name).orElseThrow(() ->
                        specials.fieldError(name, "the template uses special token \"" + name + "\" but special_tokens does not define it"));
                pieces.add(special.requireArray("ids").elements().stream().mapToInt(v -> {
                    if (v instanceof JsonNumber n && n.intValueExact().isPresent()) return n.intValueExact().get();
                    throw special.fieldError("ids", "expected integer ids, found " + v.describe());
                }).toArray());
            } else {
                throw p.fieldError("single", "element " + i + ": expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        return (ids, add) -> {
            if (!add) return ids;
            List<Integer> out = new ArrayList<>();
            for (int[] piece : pieces) for (int id : piece == null ? ids : piece) out.add(id);
            return out.stream().mapToInt(Integer::intValue).toArray();
        };
    }
}
