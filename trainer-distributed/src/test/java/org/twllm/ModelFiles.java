package org.twllm;

import java.nio.file.Path;

import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.Engines;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;

/** Random models on the CPU engine and HF model directories of them, for the tests of this module. */
public final class ModelFiles {
    private ModelFiles() {
    }

    /** A forward-only CPU engine with {@link RandomWeights} from {@code seed}. */
    public static Engine random(LlamaConfig config, long seed, double std) {
        Engine engine = Engines.cpu().create(config, EngineSettings.inference(1, config.maxPositionEmbeddings()));
        RandomWeights.fill(engine.layout(), seed, std, engine::writeWeights);
        return engine;
    }

    /** Writes {@code engine}'s model into {@code dir} as an fp32 HF model directory. */
    public static Path save(Engine engine, Path dir) {
        HfModelDirectory.save(engine.config(), engine::readWeights, dir, DType.F32);
        return dir;
    }

    /** An fp32 HF model directory of a random model. */
    public static Path saveRandom(LlamaConfig config, long seed, double std, Path dir) {
        try (Engine engine = random(config, seed, std)) {
            return save(engine, dir);
        }
    }

    /** The flat weights (the layout's order) of the model in {@code dir}. */
    public static float[] weights(Path dir) {
        LlamaConfig config = HfModelDirectory.readConfig(dir);
        ParameterLayout layout = new ParameterLayout(config);
        float[] weights = new float[Math.toIntExact(layout.total())];
        HfModelDirectory.loadWeights(dir, layout, (offset, src, count) -> System.arraycopy(src, 0, weights, (int) offset, count));
        return weights;
    }
}
