package org.twllm.dist.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.twllm.dist.transport.PeerAddress;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/** Rank environments (torchrun, Slurm), the rendezvous handshake in one JVM, and the launcher's failure report. */
class RankEnvironmentAndRendezvousTest {
    @Test
    void readsTorchrunAndSlurmVariables() {
        RankEnvironment torch = RankEnvironment.from(Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1",
                "MASTER_ADDR", "node7", "MASTER_PORT", "1234"));
        assertEquals(new RankEnvironment(3, 8, 1, "node7", 1234), torch);
        RankEnvironment slurm = RankEnvironment.from(Map.of("SLURM_PROCID", "9", "SLURM_NTASKS", "48", "SLURM_LOCALID", "1",
                "SLURM_JOB_NODELIST", "gpu[003-008],login1"));
        assertEquals(new RankEnvironment(9, 48, 1, "gpu003", RankEnvironment.DEFAULT_MASTER_PORT), slurm);
        assertEquals("a1", RankEnvironment.firstHost("a1,b2"));
        assertEquals("n5x", RankEnvironment.firstHost("n[5,7-9]x,m1"));
        assertEquals("solo", RankEnvironment.firstHost("solo"));
        assertFalse(RankEnvironment.isDistributed(Map.of()));
        ConfigException bad = assertThrows(ConfigException.class,
                () -> RankEnvironment.from(Map.of("RANK", "4", "WORLD_SIZE", "4")));
        assertTrue(bad.getMessage().contains("rank 4 is outside a world of 4"), bad.getMessage());
    }

    @Test
    void rendezvousExchangesAddressesAndRejectsADifferentConfig() throws Exception {
        List<Object> ok = meet(new String[] {"cfg", "cfg", "cfg"});
        for (Object result : ok) {
            Rendezvous.Result r = (Rendezvous.Result) result;
            assertEquals(3, r.peers().size());
            assertEquals(1000 + 2, r.peers().get(2).udpPort());
            assertEquals(((Rendezvous.Result) ok.get(0)).jobId(), r.jobId());
        }
        List<Object> mismatch = meet(new String[] {"cfg", "cfg", "other"});
        for (Object result : mismatch) {
            ConfigException e = (ConfigException) result;
            assertTrue(e.getMessage().contains("rank 2 runs config fingerprint other but rank 0 runs cfg"), e.getMessage());
        }
    }

    /** Runs one rendezvous of {@code fingerprints.length} ranks on threads; each element is a Result or the exception. */
    private static List<Object> meet(String[] fingerprints) throws Exception {
        int world = fingerprints.length;
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            Future<?>[] futures = new Future<?>[world];
            for (int rank = 0; rank < world; rank++) {
                int r = rank;
                futures[rank] = pool.submit(() -> {
                    RankEnvironment env = new RankEnvironment(r, world, r, "127.0.0.1", port);
                    try {
                        return Rendezvous.exchange(env, new Rendezvous.Identity(fingerprints[r], "v1", "t"),
                                TimeUnit.SECONDS.toNanos(30), local -> new PeerAddress(r, "127.0.0.1", 1000 + r, "driver" + r));
                    } catch (TwllmException | ConfigException e) {
                        return e;
                    }
                });
            }
            List<Object> results = new java.util.ArrayList<>();
            for (Future<?> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void launcherNamesTheRankThatFailed() throws IOException {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        TwllmException e = assertThrows(TwllmException.class, () -> LocalLauncher.launch(2,
                List.of("train", "--stage", "cpt", "--config", "/nonexistent/cpt.yaml"), out));
        assertTrue(e.getMessage().matches("rank [01] of 2 failed with exit code 2; .*"), e.getMessage());
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("[rank 0] error:") && log.contains("[rank 1] error:"), log);
    }
}
