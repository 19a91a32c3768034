package dev.akvq.server;

/**
 * Where the HTTP layer sends work: one generation per request, its tokens streamed to a
 * listener. The first implementation ({@link SequentialBackend}) runs one request at a time; a
 * batching scheduler under a KV budget fits the same interface.
 */
interface GenerationBackend extends AutoCloseable {

    /** The model this backend serves, as {@code /v1/models} describes it. */
    ModelCard card();

    /** The KV mode as {@code --kv} spells it (fp32, fp16, rtn2, kivi2, akvq). */
    String kvMode();

    /** The cache mode and its settings, in words, for the startup line and {@code /v1/models}. */
    String kvDescription();

    /**
     * Validates and queues {@code request}. Errors the client caused (bad input, a prompt plus
     * max_tokens beyond the context or the KV budget, a full queue) are thrown here as
     * {@link ApiError}, before anything is sent; later events go to {@code listener} on the
     * backend's thread.
     */
    Generation submit(GenerationRequest request, TokenListener listener);

    /** KV-cache bytes held by running sequences now. */
    long kvBytesInUse();

    /** The budget those bytes are admitted against. */
    long kvBudget();

    /** Requests waiting to start. */
    int queueDepth();

    /** Sequences being prefilled or decoded. */
    int running();

    /**
     * Stops taking requests, lets the running and queued ones finish for up to {@code graceMillis},
     * then cancels the rest; returns once none runs.
     */
    void shutdown(long graceMillis) throws InterruptedException;

    @Override
    void close();

    /**
     * @param id           the name responses carry (the model directory's name)
     * @param promptFormat how a chat is laid out, in words
     */
    record ModelCard(String id, String modelType, boolean takesImages, int contextLength, String promptFormat) {}

    /** A submitted request. */
    interface Generation {
        /** Stops it after the current token (or drops it from the queue); its cache is released. Idempotent. */
        void cancel();
    }

    /**
     * The events of one generation, called in order on the backend's thread. They must not block
     * (the HTTP layer queues them for the exchange's own thread); a client that has gone away is
     * reported by {@link Generation#cancel}.
     */
    interface TokenListener {
        /** The prompt is prefilled (its length in tokens, images included); tokens follow. */
        void started(int promptTokens);

        /** Text that is final ("" is never sent). */
        void text(String delta);

        /** The end: why, and the counts. Not called after {@link #failed}. */
        void finished(Outcome outcome);

        /** The generation could not complete (already started or not). */
        void failed(ApiError error);
    }

    /**
     * @param finishReason "stop" (EOS or a stop string), "length" (max_tokens or the context's end) or
     *                     "cancelled" (client gone, shutdown)
     * @param kvBytes      the sequence's cache bytes at its end
     * @param bitsPerValue those bytes per cached key/value element, in bits
     */
    record Outcome(String finishReason, int promptTokens, int completionTokens, long kvBytes, double bitsPerValue,
                   long firstTokenNanos) {}
}
