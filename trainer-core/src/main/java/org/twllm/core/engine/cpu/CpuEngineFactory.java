package org.twllm.core.engine.cpu;

import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineFactory;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.LlamaConfig;

/** Makes CPU engines ({@code device.backend: cpu}); loaded by class name through {@code Engines}. */
public final class CpuEngineFactory implements EngineFactory {
    @Override
    public void requireAvailable() {
        // ND4J's CPU backend is part of every build that carries this class.
    }

    @Override
    public Engine create(LlamaConfig config, EngineSettings settings) {
        return new CpuEngine(config, settings);
    }

    @Override
    public double measurePeakFlops(double seconds) {
        return PeakFlopsProbe.measure(seconds);
    }
}
