package dev.akvq.template;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Jinja2's {@code namespace()}: the one mutable value a template can build, assigned with
 * {@code {% set ns.name = value %}} so that a value set inside a loop survives it.
 */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
