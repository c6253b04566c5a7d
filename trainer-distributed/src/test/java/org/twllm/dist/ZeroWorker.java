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
 * Aeron ring. Arguments: output directory, {@code fresh|nofresh} (train from scratch, saving at
 * {@link QuadraticTraining#SAVE_AT} when a save directory is given), save directory or {@code -},
 * checkpoint to resume from or {@code -}. Rank 0 writes each run's losses and parameters to a file.
 */
public final class ZeroWorker {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        boolean fresh = args[1].equals("fresh");
        String saveDir = args[2];
        String resumeFrom = args[3];
        RankEnvironment env = RankEnvironment.fromEnvironment();
        TransportSettings settings = TransportSettings.defaults()
                .withChannel(TransportSettings.ChannelKind.UDP)
                .withEndpoint("127.0.0.1", 0)
                .withTermLength(1 << 20)
                .withTimeouts(2_000_000_000L, 30_000_000_000L);
        Rendezvous.Identity identity = new Rendezvous.Identity("quadratic", "test", settings.fingerprint());
        int world = env.worldSize();
        try (AeronDataParallel dp = new AeronDataParallel(
                RingBootstrap.start(env, settings, identity, 120_000_000_000L), QuadraticTraining.PARAMETERS, 2000)) {
            System.out.println("rank " + env.rank() + " owns [" + dp.ownedStart() + ", " + dp.ownedEnd() + ")");
            if (fresh) {
                QuadraticTraining run = new QuadraticTraining(dp);
                if (!saveDir.equals("-")) {
                    run.train(QuadraticTraining.SAVE_AT);
                    run.save(Path.of(saveDir));
                }
                run.train(QuadraticTraining.STEPS);
                if (env.rank() == 0) {
                    Files.writeString(out.resolve("fresh-w" + world + ".txt"), run.report());
                }
            }
            if (!resumeFrom.equals("-")) {
                QuadraticTraining run = new QuadraticTraining(dp);
                run.resume(Path.of(resumeFrom));
                run.train(QuadraticTraining.STEPS);
                if (env.rank() == 0) {
                    Files.writeString(out.resolve("resumed-w" + world + ".txt"), run.report());
                }
            }
            System.out.println("rank " + env.rank() + " STATS " + dp.stats());
        }
    }
}
