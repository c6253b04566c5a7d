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
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.train.SingleProcess;

/**
 * ZeRO-2 over real Aeron rings (loopback UDP) trains like one process. Four ranks train
 * {@link QuadraticTraining} for six steps, saving a sharded checkpoint after step three; then two ranks
 * train from scratch and resume that checkpoint, and three ranks resume it (world sizes 4 -> 2 and
 * 4 -> 3). Everything is compared with one process on the same global batch.
 *
 * <p>Tolerance: per-step losses within 1e-6 relative, parameters within 1e-6 absolute (they are of
 * order 0.1). The ranks sum gradients in another order than one process does (each rank's share first,
 * then the ring), so agreement is to float rounding, not bitwise.
 */
class ZeroMultiProcessTest {
    private static final double LOSS_RTOL = 1e-6;
    private static final double PARAM_ATOL = 1e-6;

    @Test
    void zeroTrainsLikeOneProcessAndReshardsOnResume(@TempDir Path dir) throws Exception {
        QuadraticTraining single = new QuadraticTraining(new SingleProcess(QuadraticTraining.PARAMETERS));
        single.train(QuadraticTraining.STEPS);
        Run reference = Run.parse(single.report());

        Path checkpoints = dir.resolve("checkpoints");
        WorkerProcesses four = WorkerProcesses.start(4, ZeroWorker.class, dir.resolve("logs4"), "512m", Map.of(),
                dir.toString(), "fresh", checkpoints.toString(), "-");
        expectSuccess(four, 4, 180);
        Run fresh4 = Run.read(dir.resolve("fresh-w4.txt"));
        Path saved = checkpoints.resolve(Checkpoint.dirName(QuadraticTraining.SAVE_AT));
        assertTrue(Files.isRegularFile(saved.resolve("trainer_state.json")), "no committed checkpoint at " + saved);

        WorkerProcesses two = WorkerProcesses.start(2, ZeroWorker.class, dir.resolve("logs2"), "512m", Map.of(),
                dir.toString(), "fresh", "-", saved.toString());
        WorkerProcesses three = WorkerProcesses.start(3, ZeroWorker.class, dir.resolve("logs3"), "512m", Map.of(),
                dir.toString(), "nofresh", "-", saved.toString());
        expectSuccess(two, 2, 180);
        expectSuccess(three, 3, 180);

        assertClose(reference, fresh4, 0, "4 ranks vs 1");
        assertClose(reference, Run.read(dir.resolve("fresh-w2.txt")), 0, "2 ranks vs 1");
        assertClose(fresh4, Run.read(dir.resolve("resumed-w2.txt")), QuadraticTraining.SAVE_AT, "saved on 4, resumed on 2");
        assertClose(fresh4, Run.read(dir.resolve("resumed-w3.txt")), QuadraticTraining.SAVE_AT, "saved on 4, resumed on 3");
    }

    private static void expectSuccess(WorkerProcesses workers, int world, long timeoutS) throws Exception {
        int[] codes = workers.await(timeoutS);
        for (int rank = 0; rank < world; rank++) {
            String log = workers.log(rank);
            assertEquals(0, codes[rank], "rank " + rank + " of " + world + " failed:\n" + log);
            log.lines().filter(l -> l.contains("STATS") || l.contains(" owns ")).forEach(System.out::println);
        }
    }

    /** {@code actual} covers the steps after {@code skip}; its final parameters match the reference's. */
    private static void assertClose(Run expected, Run actual, int skip, String what) {
        assertEquals(expected.losses.length - skip, actual.losses.length, what + ": number of steps");
        for (int i = 0; i < actual.losses.length; i++) {
            double e = expected.losses[i + skip];
            assertEquals(e, actual.losses[i], LOSS_RTOL * Math.abs(e), what + ": loss of step " + (i + skip + 1));
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
