package org.twllm.dist;

import java.nio.file.Files;
import java.nio.file.Path;

import org.twllm.dist.launch.RankEnvironment;
import org.twllm.dist.launch.Rendezvous;
import org.twllm.dist.launch.RingBootstrap;
import org.twllm.dist.transport.TransportSettings;
import org.twllm.dist.zero.AeronDataParallel;

/**
 * One rank of {@link ZeroMultiProcessTest}: ZeRO-2 training of {@link QuadraticTraining} over a real
 * Aeron ring (loopback UDP) in buckets of 2000 floats. Rank 0 writes the losses and parameters to the
 * file named by the first argument.
 */
public final class ZeroWorker {
    public static void main(String[] args) throws Exception {
        RankEnvironment env = RankEnvironment.fromEnvironment();
        TransportSettings settings = WorkerProcesses.loopbackUdp(1 << 20, 30_000_000_000L);
        Rendezvous.Identity identity = new Rendezvous.Identity("quadratic", "test", settings.fingerprint());
        try (AeronDataParallel dp = new AeronDataParallel(
                RingBootstrap.start(env, settings, identity, 120_000_000_000L), QuadraticTraining.PARAMETERS)) {
            QuadraticTraining run = new QuadraticTraining(dp);
            run.train(QuadraticTraining.STEPS);
            if (env.rank() == 0) {
                Files.writeString(Path.of(args[0]), run.report());
            }
            System.out.println("rank " + env.rank() + " owns [" + dp.ownedStart() + ", " + dp.ownedEnd() + ") STATS " + dp.stats());
        }
    }
}
