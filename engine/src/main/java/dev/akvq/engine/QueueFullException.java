package dev.akvq.engine;

/** {@link BatchScheduler#submit} refused a request because its queue holds {@code queueCapacity} requests already. */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(String message) {
        super(message);
    }
}
