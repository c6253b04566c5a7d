package org.twllm.core.engine.cuda;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.core.io.SafetensorsFile;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.TokenBatch;
import org.twllm.errors.ConfigException;

/**
 * Model parity of the device engine against values the CPU engine stored (a fixture folder: an HF model
 * directory of a random GQA model plus {@code expected.json}, made by GpuParityReferenceTest): per-token
 * log-probs of a packed batch, and the losses of 3 AdamW training steps on it, each in fp32 and in the CPU
 * engine's bf16 mode. fp32 must agree with fp32 within 1e-4; bf16 with the CPU engine's bf16 within 5e-2 on the
 * log-probs and 2e-2 relative on the losses (the same bf16 values, summed in another order).
 */
public final class ParityCheck {
    /** The fixture folder's name under src-test-fixtures/reference (and the bundle's reference folder). */
    public static final String FIXTURE = "gpu-parity";

    private ParityCheck() {
    }

    /** The comparisons of one storage type. */
    public static List<KernelChecks.Result> run(Gpu gpu, Path fixture, StorageType type) {
        JsonNode expected = readJson(fixture.resolve("expected.json"));
        LlamaConfig config = LlamaConfig.fromHfConfigJson(fixture.resolve("config.json"));
        TokenBatch batch = batch(expected.get("batch"));
        float[] weights = weights(fixture.resolve("model.safetensors"), new ParameterLayout(config));
        JsonNode training = expected.get("training");
        JsonNode want = type == StorageType.F32 ? expected : expected.get("bf16");
        if (want == null) {
            throw new ConfigException(fixture.resolve("expected.json") + " holds no bf16 reference; use the fixture of this twllm version");
        }
        List<KernelChecks.Result> results = new ArrayList<>();
        try (DeviceLlamaModel model = new DeviceLlamaModel(gpu, config, type, batch.batchSize(), batch.seqLen(), 8, 1L << 20)) {
            model.setParameters(0, weights);
            float[] logProbs = model.targetLogProbs(batch);
            results.add(new KernelChecks.Result("per-token log-probs (max abs error)", type,
                    maxAbsError(logProbs, doubles(want.get("log_probs"))), type == StorageType.F32 ? 1e-4 : 5e-2));
            double[] wantLosses = doubles((type == StorageType.F32 ? training : want).get("losses"));
            float[] losses = new float[wantLosses.length];
            try (DeviceAdamW adamw = new DeviceAdamW(model, 0, model.layout().total(), training.get("beta1").asDouble(),
                    training.get("beta2").asDouble(), training.get("epsilon").asDouble(), training.get("weight_decay").asDouble())) {
                adamw.setMaster(0, weights);
                int trained = batch.trainedTokens();
                for (int step = 0; step < losses.length; step++) {
                    model.zeroGradients();
                    losses[step] = (float) (model.forwardBackward(batch, 1.0 / trained) / trained);
                    adamw.step(training.get("lr").asDouble(), 1.0);
                }
            }
            double worst = 0;
            for (int i = 0; i < losses.length; i++) {
                worst = Math.max(worst, Math.abs(losses[i] - wantLosses[i]) / Math.abs(wantLosses[i]));
            }
            results.add(new KernelChecks.Result(losses.length + " training-step losses (max relative error)", type, worst,
                    type == StorageType.F32 ? 1e-4 : 2e-2));
        }
        return results;
    }

    static TokenBatch batch(JsonNode b) {
        return new TokenBatch(b.get("batch_size").asInt(), b.get("seq_len").asInt(), ints(b.get("inputs")), ints(b.get("targets")),
                ints(b.get("positions")), ints(b.get("example_ids")));
    }

    /** The model's flat parameters in the layout's order, from one safetensors file. */
    static float[] weights(Path file, ParameterLayout layout) {
        float[] flat = new float[Math.toIntExact(layout.total())];
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] tensor = new float[0];
            for (ParameterSpec s : layout.specs()) {
                if (tensor.length < s.length()) {
                    tensor = new float[Math.toIntExact(s.length())];
                }
                f.read(s.name(), 0, tensor, (int) s.length());
                System.arraycopy(tensor, 0, flat, (int) s.offset(), (int) s.length());
            }
        }
        return flat;
    }

    private static double maxAbsError(float[] got, double[] want) {
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            boolean gotNaN = Float.isNaN(got[i]);
            boolean wantNaN = Double.isNaN(want[i]);
            if (gotNaN != wantNaN) {
                return Double.POSITIVE_INFINITY;
            }
            if (!wantNaN) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]));
            }
        }
        return worst;
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + " could not be read (" + e.getMessage() + "); the device check needs the parity fixture");
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** Numbers of a JSON array; null stands for NaN (a position without a target). */
    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).isNull() ? Double.NaN : array.get(i).asDouble();
        }
        return out;
    }
}
