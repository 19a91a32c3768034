package dev.akvq.engine;

/** A submitted request, as {@link BatchScheduler#submit} returns it: its id, and how to end it early. */
public final class RequestHandle {
    private final String id;
    private volatile FinishReason endAsked;

    RequestHandle(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Ends the request before its next step (finish reason {@code cancelled}); its cache is freed. Safe from any thread. */
    public void cancel() {
        endAsked = FinishReason.CANCELLED;
    }

    /** Ends the request as if it had reached a stop condition (finish reason {@code stop}), e.g. on a stop string. */
    public void stop() {
        if (endAsked == null) endAsked = FinishReason.STOP;
    }

    FinishReason endAsked() {
        return endAsked;
    }
}
