package org.twllm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.train.SingleRank;

/**
 * ZeRO-2 over a real Aeron ring (loopback UDP, two worker JVMs) trains {@link QuadraticTraining} like one
 * process on the same global batch, with the gradients reduce-scattered in six buckets per step while the
 * synthetic backward runs, clipping by the all-reduced norm, and AdamW on each rank's half.
 * ({@code DistributedTrainingTest} does the same with the real trainer on 4 ranks, and resharded resume.)
 *
 * <p>Tolerance: per-step losses within 1e-6 relative, parameters within 1e-6 absolute (they are of
 * order 0.1). The ranks sum gradients in another order than one process does (each rank's share first,
 * then the ring), so agreement is to float rounding, not bitwise.
 */
class ZeroMultiProcessTest {
    private static final double LOSS_RTOL = 1e-6;
    private static final double PARAM_ATOL = 1e-6;

    @Test
    void twoRanksTrainLikeOneProcess(@TempDir Path dir) throws Exception {
        QuadraticTraining single = new QuadraticTraining(new SingleRank(QuadraticTraining.PARAMETERS));
        single.train(QuadraticTraining.STEPS);
        Path report = dir.resolve("w2.txt");
        WorkerProcesses two = WorkerProcesses.start(2, ZeroWorker.class, dir.resolve("logs"), "512m", Map.of(), report.toString());
        expectSuccess(two, 2, 180);
        assertClose(Run.parse(single.report()), Run.read(report), "2 ranks vs 1");
    }

    private static void expectSuccess(WorkerProcesses workers, int world, long timeoutS) throws Exception {
        int[] codes = workers.await(timeoutS);
        for (int rank = 0; rank < world; rank++) {
            String log = workers.log(rank);
            assertEquals(0, codes[rank], "rank " + rank + " of " + world + " failed:\n" + log);
            log.lines().filter(l -> l.contains("STATS")).forEach(System.out::println);
        }
    }

    private static void assertClose(Run expected, Run actual, String what) {
        assertEquals(expected.losses.length, actual.losses.length, what + ": number of steps");
        for (int i = 0; i < actual.losses.length; i++) {
            double e = expected.losses[i];
            assertEquals(e, actual.losses[i], LOSS_RTOL * Math.abs(e), what + ": loss of step " + (i + 1));
        }
        double worst = 0;
        for (int j = 0; j < expected.params.length; j++) {
            worst = Math.max(worst, Math.abs(expected.params[j] - actual.params[j]));
        }
        System.out.println(what + ": losses " + Arrays.toString(actual.losses) + ", max |param diff| " + worst);
        assertTrue(worst <= PARAM_ATOL, what + ": parameters differ by up to " + worst);
    }

    private record Run(double[] losses, float[] params) {
        static Run read(Path file) throws IOException {
            return parse(Files.readString(file));
        }

        static Run parse(String report) {
            String[] lines = report.split("\n");
            double[] losses = Arrays.stream(lines[0].split(" ")).skip(1).mapToDouble(Double::parseDouble).toArray();
            String[] words = lines[1].split(" ");
            float[] params = new float[words.length - 1];
            for (int j = 1; j < words.length; j++) {
                params[j - 1] = Float.intBitsToFloat(Integer.parseUnsignedInt(words[j], 16));
            }
            return new Run(losses, params);
        }
    }
}
