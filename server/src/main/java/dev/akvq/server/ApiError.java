package dev.akvq.server;

/**
 * An error a client gets in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}},
 * with its HTTP status. The message says which request part was wrong and what was expected; it
 * never carries a stack trace or a server path the client did not send.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is malformed or asks for something this server cannot do. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    static ApiError invalid(String param, String code, String message) {
        return new ApiError(400, "invalid_request_error", param, code, message);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                "missing or wrong API key: send the server's --api-key as 'Authorization: Bearer KEY'");
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than this server's limit of " + limit + " bytes (--max-body)");
    }

    static ApiError queueFull(int maxQueue) {
        return new ApiError(429, "rate_limit_error", null, "queue_full",
                "the server's queue is full (" + maxQueue + " requests waiting, --max-queue); retry later");
    }

    static ApiError unavailable(String why) {
        return new ApiError(503, "server_error", null, "unavailable", why);
    }

    /** 500 without the exception's detail: a bug of ours, logged on the server's stderr only. */
    static ApiError internal() {
        return new ApiError(500, "server_error", null, "internal_error",
                "the server failed to complete this request; it is logged on the server, and other requests are unaffected");
    }

    String toJson() {
        JsonText j = new JsonText().beginObject().key("error").beginObject().field("message", getMessage()).field("type", type);
        j.key("param").value(param).key("code").value(code);
        return j.endObject().endObject().toString();
    }
}
