package org.twllm.core.engine;

/** Makes engines of one kind; loaded by class name ({@link Engines}) so no other engine's classes are loaded. */
public interface EngineFactory {
    /** Fails with one sentence naming what is missing when this machine cannot run the engine (no driver, no device). */
    void requireAvailable();

    /** A new engine for a model of shape {@code config}, with zero weights. */
    Engine create(LlamaConfig config, EngineSettings settings);

    /** The device's attainable dense matrix-multiply rate in FLOP/s, measured for about {@code seconds} (MFU's denominator). */
    double measurePeakFlops(double seconds);
}
