package dev.akvq.template;

import java.util.HashMap;
import java.util.Map;

/**
 * One scope of variables. The template's top level, each loop iteration, a macro call, a
 * {@code with} block and a call block's body get their own; {@code if} does not. A {@code set}
 * writes to the innermost scope, so a value set inside a loop is gone after it, as in Jinja2
 * (that is what {@code namespace()} is for).
 */
final class Frame {
    final Frame parent;
    final Map<String, Object> variables = new HashMap<>(8);

    Frame(Frame parent) {
        this.parent = parent;
    }

    /** The variable's value, or {@link Access#MISSING} when no scope up to the top has it. */
    Object lookup(String name) {
        for (Frame f = this; f != null; f = f.parent) {
            Object v = f.variables.get(name);
            if (v != null || f.variables.containsKey(name)) return v;
        }
        return Access.MISSING;
    }
}
