package dev.akvq.engine;

/**
 * Receives a request's tokens as they are generated and its end. Called on the scheduler's
 * thread, between steps: keep it short (write, enqueue), or the whole batch waits. A listener
 * may call {@link RequestHandle#stop} or {@link RequestHandle#cancel} from inside
 * {@link #onToken} (a stop string seen in the text): no further token of that request follows.
 * An exception thrown by a listener ends that request with {@link FinishReason#ERROR}, not the others.
 */
public interface GenerationListener {
    /** The request was admitted under the budget and its prompt starts running. */
    default void onStart(RequestHandle request) {}

    /** One generated token, in order, exactly once (a preempted request recomputes without repeating tokens). */
    void onToken(RequestHandle request, int token);

    /** The request's end; called exactly once, also for requests refused or failed before they ran. */
    void onFinish(RequestHandle request, GenerationResult result);
}
