package dev.akvq.cli;

import dev.akvq.model.Trace;
import dev.akvq.weights.SafetensorsWriter;

/** A {@link Trace} that collects every intermediate into a safetensors file, as F32. */
final class TraceFile implements Trace {
    final SafetensorsWriter writer = new SafetensorsWriter();

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void put(String name, float[] data, long... shape) {
        writer.f32(name, data, shape);
    }

    @Override
    public void putIds(String name, long[] data, long... shape) {
        writer.i64(name, data, shape);
    }
}
