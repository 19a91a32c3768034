/** A strict RFC 8259 JSON reader with typed, error-naming accessors for config files. */
package dev.akvq.weights.json;
