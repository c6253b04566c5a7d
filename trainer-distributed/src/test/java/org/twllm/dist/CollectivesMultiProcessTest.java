package org.twllm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four worker JVMs on a real Aeron ring over loopback UDP (one embedded driver each), launched once:
 * bit-exact collectives against the documented ring order for sizes not divisible by four and with
 * zero-length ranges ({@link CollectiveWorker}), then a rank that hangs (everyone fails within the
 * 5 s collective timeout) and a rank that dies (everyone else fails within seconds, naming it).
 */
class CollectivesMultiProcessTest {
    private static final int WORLD = 4;

    @Test
    void collectivesAreExactAndFailuresSpread(@TempDir Path logs) throws Exception {
        WorkerProcesses workers = WorkerProcesses.start(WORLD, CollectiveWorker.class, logs, "256m",
                Map.of("TWLLM_TEST_SECOND_PORT", String.valueOf(WorkerProcesses.freePort())));
        int[] codes = workers.await(180);
        for (int rank = 0; rank < WORLD; rank++) {
            String log = workers.log(rank);
            assertTrue(log.contains("ALL CASES OK"), "rank " + rank + " collectives failed:\n" + log);
            assertTrue(log.contains("HANG-FAILURE"), "rank " + rank + " did not notice the hung rank:\n" + log);
            if (rank == WORLD - 1) {
                assertTrue(log.contains("HALTING"), log);
                continue;
            }
            assertEquals(3, codes[rank], "rank " + rank + " should exit after noticing the dead rank:\n" + log);
            Matcher kill = Pattern.compile("KILL-FAILURE after (\\d+) ms: (.*)").matcher(log);
            assertTrue(kill.find(), log);
            assertTrue(kill.group(2).contains("rank 3 died"), "the message must name the dead rank: " + kill.group(2));
            // 2 s liveness: noticed in a few seconds, far below the 30 s no-progress timeout of that ring.
            assertTrue(Long.parseLong(kill.group(1)) < 10_000, "took " + kill.group(1) + " ms");
        }
        // Rank 2 is downstream of the hung rank 1: it names it.
        assertTrue(workers.log(2).contains("no data from rank 1 for 5 s in all-reduce; rank 1 may have died or hung"),
                workers.log(2));
        // The ranks ran the same number of cases, all bit-exact.
        long cases = workers.log(0).lines().filter(l -> l.endsWith(" ok")).count();
        assertTrue(cases > 100, "only " + cases + " cases ran");
    }
}
