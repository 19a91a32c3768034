package dev.akvq.template;

import java.util.List;
import java.util.Map;

/**
 * A {@code {% macro %}} (or the body of a {@code {% call %}} block, passed as {@code caller}):
 * calling it renders its body in a new scope over the scope it was defined in, and returns the
 * text. Unused positional arguments are in {@code varargs}, unused keywords in {@code kwargs}.
 */
final class Macro implements TemplateFunction, HasAttributes {
    private final String name;
    final Node.MacroSignature signature;
    final List<Node> body;
    final Frame closure;
    private final Renderer renderer;

    Macro(String name, Node.MacroSignature signature, List<Node> body, Frame closure, Renderer renderer) {
        this.name = name;
        this.signature = signature;
        this.body = body;
        this.closure = closure;
        this.renderer = renderer;
    }

    String name() {
        return name;
    }

    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        return renderer.callMacro(this, args, kwargs);
    }

    @Override
    public Object attribute(String attribute) {
        return switch (attribute) {
            case "name" -> name;
            case "arguments" -> Tuple.of(signature.params());
            case "catch_varargs" -> signature.catchVarargs();
            case "catch_kwargs" -> signature.catchKwargs();
            case "caller" -> signature.usesCaller();
            default -> Access.MISSING;
        };
    }
}
