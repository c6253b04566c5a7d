package org.twllm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.CliRun;

/**
 * Issue 12 §6: while rank 0 writes a large model the other ranks wait; bounded by the collective timeout they
 * gave up on a 7B save. Two ranks over Aeron (loopback UDP), collective timeout 1 s, rank 0's save 4 s slow:
 * the save's own barriers wait it out (both ranks finish, the checkpoint verifies), while a plain barrier with
 * the same delay fails on rank 1 naming rank 0, which is the fault reproduced.
 */
class SlowSaveTest {
    @Test
    void aSaveSlowerThanTheCollectiveTimeoutCompletes(@TempDir Path dir) throws Exception {
        Path cfg = CliRun.tinyCpt(dir, "distributed:\n  world_size: 2\n  transport:\n    channel: udp\n"
                + "    collective_timeout_s: 1\n    liveness_timeout_ms: 500\n");
        WorkerProcesses workers = WorkerProcesses.start(2, SlowSaveWorker.class, dir.resolve("logs"), "512m", Map.of(),
                cfg.toString());
        int[] codes = workers.await(180);
        for (int rank = 0; rank < 2; rank++) {
            String log = workers.log(rank);
            assertEquals(0, codes[rank], "rank " + rank + ":\n" + log);
            assertTrue(log.contains("SAVED"), "rank " + rank + " did not finish the slow save:\n" + log);
        }
        String rankOne = workers.log(1);
        assertTrue(rankOne.contains("PLAIN-BARRIER-FAILED rank 1: no data from rank 0 for 1 s in barrier"), rankOne);
    }
}
