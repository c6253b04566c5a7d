package org.twllm.dist.launch;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import org.twllm.core.checkpoint.TrainerState;
import org.twllm.core.config.DistributedConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TransportConfig;
import org.twllm.core.train.DataParallel;
import org.twllm.core.train.SingleRank;
import org.twllm.dist.transport.TransportSettings;
import org.twllm.dist.zero.AeronDataParallel;
import org.twllm.errors.ConfigException;

/**
 * Chooses the data parallelism of a {@code twllm train} process: one process when the environment
 * names no job, else ZeRO (stage 2 or 1) over Aeron with this rank's place from torchrun's or Slurm's variables
 * and the transport settings of {@code distributed.transport}. A launcher that runs a media driver for
 * all ranks of the host sets {@code TWLLM_AERON_DIR}; the ranks then attach to it and use IPC.
 */
public final class DataParallelFactory {
    /** Environment variable naming a running media driver's directory to attach to. */
    public static final String AERON_DIR_VARIABLE = "TWLLM_AERON_DIR";
    static final long RENDEZVOUS_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(5);

    private DataParallelFactory() {
    }

    /** Makes the data-parallel group once the parameter count is known. */
    public static LongFunction<DataParallel> dataParallel(StageConfig config, Map<String, String> env) {
        DistributedConfig distributed = config.distributed();
        if (!RankEnvironment.isDistributed(env)) {
            if (distributed.worldSize() != 1) {
                throw new ConfigException("distributed.world_size is " + distributed.worldSize() + " but this is a single"
                        + " process; launch with 'twllm train --nproc " + distributed.worldSize() + " ...', torchrun-style"
                        + " variables or srun, or set distributed.world_size=1");
            }
            return SingleRank::new;
        }
        RankEnvironment rank = RankEnvironment.from(env);
        if (distributed.worldSize() != rank.worldSize()) {
            throw new ConfigException("distributed.world_size is " + distributed.worldSize() + " but the job has "
                    + rank.worldSize() + " ranks; set --set distributed.world_size=" + rank.worldSize());
        }
        if (distributed.zeroStage() == 0) {
            throw new ConfigException("distributed.zero_stage 0 (plain all-reduce) is not implemented over Aeron;"
                    + " use zero_stage 2 (the same updates, with optimizer state and gradients sharded) or 1");
        }
        if (rank.worldSize() == 1) {
            return SingleRank::new;
        }
        TransportSettings settings = settings(distributed.transport(), env.get(AERON_DIR_VARIABLE));
        Rendezvous.Identity identity = new Rendezvous.Identity(config.jobFingerprint(), TrainerState.currentCodeVersion(),
                settings.fingerprint());
        return n -> new AeronDataParallel(RingBootstrap.start(rank, settings, identity, RENDEZVOUS_TIMEOUT_NS), n);
    }

    /** {@code distributed.transport} as transport settings; {@code launcherDriverDir} (may be null) wins over the config. */
    static TransportSettings settings(TransportConfig t, String launcherDriverDir) {
        Path external = launcherDriverDir != null && !launcherDriverDir.isBlank() ? Path.of(launcherDriverDir)
                : t.mediaDriver() == TransportConfig.MediaDriver.EXTERNAL ? t.aeronDir() : null;
        if (t.mediaDriver() == TransportConfig.MediaDriver.EXTERNAL && external == null) {
            throw new ConfigException("distributed.transport.media_driver is external but no aeron_dir is set; set"
                    + " distributed.transport.aeron_dir to the running driver's directory");
        }
        return TransportSettings.of(t, external, t.portBase());
    }
}
