package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.TokenBatch;

/** CPU engines with random weights for the tests of other packages, and the model's full logits as their reference. */
public final class TestEngines {
    private TestEngines() {
    }

    /** A forward-only CPU engine with {@link RandomWeights} from {@code seed}. */
    public static Engine random(LlamaConfig config, long seed, double std) {
        Engine engine = new CpuEngine(config, EngineSettings.inference(1, config.maxPositionEmbeddings()));
        RandomWeights.fill(engine.layout(), seed, std, engine::writeWeights);
        return engine;
    }

    /** The logits of every position of {@code batch} ({@code [b * T + t][vocab]}) by a full forward of the CPU model. */
    public static float[][] logits(Engine cpuEngine, TokenBatch batch) {
        INDArray logits = ((CpuEngine) cpuEngine).model().logits(batch);
        float[][] rows = new float[(int) logits.size(0)][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = logits.getRow(r).toFloatVector();
        }
        return rows;
    }
}
