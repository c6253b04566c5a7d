package org.twllm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a rank offered before closing its ring link reaches the next rank even when its process halts
 * right after the close, taking its embedded media driver with it ({@link LinkCloseWorker}). This is
 * what carries a failing rank's failure notice; without the close waiting for the driver's sender,
 * most of the megabyte dies in the halted process's term buffer.
 */
class LinkCloseMultiProcessTest {
    @Test
    void everythingOfferedBeforeCloseArrivesAfterTheSenderHalts(@TempDir Path logs) throws Exception {
        WorkerProcesses workers = WorkerProcesses.start(2, LinkCloseWorker.class, logs, "128m", Map.of());
        int[] codes = workers.await(90);
        assertEquals(0, codes[0], workers.log(0));
        assertTrue(workers.log(0).contains("OFFERED " + LinkCloseWorker.MESSAGES), workers.log(0));
        assertEquals(0, codes[1], workers.log(1));
        assertTrue(workers.log(1).contains("RECEIVED " + LinkCloseWorker.MESSAGES + "\n"),
                "the messages that arrived: " + workers.log(1));
    }
}
