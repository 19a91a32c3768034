package dev.akvq.weights.json;

/**
 * A parsed JSON value (RFC 8259). Objects keep their members in document order, numbers keep
 * their literal text so an integer is read exactly and a double is rounded once.
 */
public sealed interface JsonValue permits JsonObject, JsonArray, JsonString, JsonNumber, JsonBoolean, JsonNull {

    /** What this value is, in the words an error message uses ("an object", "the string \"x\""). */
    String describe();
}
