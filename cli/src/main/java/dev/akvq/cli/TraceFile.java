package dev.akvq.cli;

import dev.akvq.model.Trace;
import dev.akvq.weights.SafetensorsWriter;

/** A {@link Trace} that collects every intermediate into a safetensors file, as F32. */
final class TraceFile implements Trace {
    final SafetensorsWriter writer = new SafetensorsWriter();
    private String lastName;
    private float[] lastData;

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void put(String name, float[] data, long... shape) {
        writer.f32(name, data, shape);
        lastName = name;
        lastData = data;
    }

    /** The data last put under {@code name}, if it was the last tensor put. */
    float[] last(String name) {
        if (!name.equals(lastName)) throw new IllegalStateException("the last tensor traced was " + lastName + ", not " + name);
        return lastData;
    }
}
