/**
 * Model configs as immutable records. Each record's {@code fromJson} fills every omitted field
 * with the default of the matching transformers v4.47.1 class (commit 241c04d3), because
 * published nested configs leave out every value equal to its class default; each constructor
 * validates, and the loaders report a bad value as {@code config.json: field "path.name": ...}.
 * {@link dev.akvq.weights.config.ModelConfig#load} is the entry point.
 */
package dev.akvq.weights.config;
