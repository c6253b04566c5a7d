package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.train.SingleRank;

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

    /**
     * A training CPU engine of one rank (owning every parameter; zero_stage 1's full local gradient buffer) with
     * {@link RandomWeights} from {@code seed}, for micro-batches up to {@code maxMicroBatch x maxSeqLen}.
     */
    public static Engine training(LlamaConfig config, AdamWSettings adamW, long seed, double std, int maxMicroBatch,
                                  int maxSeqLen) {
        long total = config.numParameters();
        Engine engine = new CpuEngine(config, new EngineSettings(Precision.FP32, 0, total, false, 1 << 16, adamW, false,
                maxMicroBatch, maxSeqLen));
        RandomWeights.fill(engine.layout(), seed, std, engine::writeWeights);
        return engine;
    }

    /**
     * One rank's gradient of {@code lossScale} times the summed loss of {@code batch}, from zero, left in the
     * engine's gradient partition (the whole flat layout on one rank); returns the summed loss.
     */
    public static double gradients(Engine engine, TokenBatch batch, double lossScale) {
        GradientSink sink = new SingleRank(engine.layout().total()).gradientSink(engine.gradientPartition());
        engine.zeroGradients();
        double loss = engine.forwardBackward(batch, lossScale, sink);
        engine.flushGradients(sink);
        sink.awaitAll();
        return loss;
    }

    /** The gradient partition as floats. */
    public static float[] partition(Engine engine) {
        int n = Math.toIntExact(engine.gradientPartition().elements());
        float[] out = new float[n];
        engine.gradientPartition().floats(0, n).get(out);
        return out;
    }

    /** The compute weights as floats. */
    public static float[] weights(Engine engine) {
        float[] out = new float[Math.toIntExact(engine.layout().total())];
        engine.readWeights(0, out, out.length);
        return out;
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
