package org.twllm.dist.launch;

import java.util.Map;

import org.twllm.errors.ConfigException;

/**
 * Where this process sits in the job, read from the environment the way torchrun sets it
 * ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}) or,
 * failing that, the way Slurm's {@code srun} does ({@code SLURM_PROCID}, {@code SLURM_NTASKS},
 * {@code SLURM_LOCALID}, first host of {@code SLURM_JOB_NODELIST}/{@code SLURM_NODELIST}; the port from
 * {@code MASTER_PORT} or 29500).
 */
public record RankEnvironment(int rank, int worldSize, int localRank, String masterAddress, int masterPort) {
    public static final int DEFAULT_MASTER_PORT = 29500;

    public RankEnvironment {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new ConfigException("rank " + rank + " is outside a world of " + worldSize
                    + " ranks; check RANK/WORLD_SIZE (or SLURM_PROCID/SLURM_NTASKS)");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new ConfigException("MASTER_PORT " + masterPort + " is not a TCP port (1..65535)");
        }
    }

    /** True when the environment describes a multi-process job (torchrun's or Slurm's variables are set). */
    public static boolean isDistributed(Map<String, String> env) {
        return env.containsKey("WORLD_SIZE") || env.containsKey("SLURM_NTASKS") && env.containsKey("SLURM_PROCID");
    }

    /** Rank 0 of a job (torchrun's RANK or Slurm's SLURM_PROCID), or a plain single process. */
    public static boolean isRankZero(Map<String, String> env) {
        String rank = env.getOrDefault("RANK", env.getOrDefault("SLURM_PROCID", "0"));
        return rank.strip().equals("0");
    }

    public static RankEnvironment fromEnvironment() {
        return from(System.getenv());
    }

    public static RankEnvironment from(Map<String, String> env) {
        if (env.containsKey("WORLD_SIZE")) {
            return new RankEnvironment(
                    intVar(env, "RANK", null),
                    intVar(env, "WORLD_SIZE", null),
                    intVar(env, "LOCAL_RANK", env.getOrDefault("RANK", "0")),
                    env.getOrDefault("MASTER_ADDR", "127.0.0.1"),
                    intVar(env, "MASTER_PORT", String.valueOf(DEFAULT_MASTER_PORT)));
        }
        if (env.containsKey("SLURM_NTASKS") && env.containsKey("SLURM_PROCID")) {
            String nodes = env.getOrDefault("SLURM_JOB_NODELIST", env.get("SLURM_NODELIST"));
            String master = env.containsKey("MASTER_ADDR") ? env.get("MASTER_ADDR")
                    : nodes != null ? firstHost(nodes) : null;
            if (master == null) {
                throw new ConfigException("Slurm job without SLURM_JOB_NODELIST or MASTER_ADDR: cannot find the master host");
            }
            return new RankEnvironment(
                    intVar(env, "SLURM_PROCID", null),
                    intVar(env, "SLURM_NTASKS", null),
                    intVar(env, "SLURM_LOCALID", "0"),
                    master,
                    intVar(env, "MASTER_PORT", String.valueOf(DEFAULT_MASTER_PORT)));
        }
        return new RankEnvironment(0, 1, 0, "127.0.0.1", DEFAULT_MASTER_PORT);
    }

    /**
     * The first host of a Slurm node list: {@code "gpu[003-006,9],login1"} gives {@code "gpu003"},
     * {@code "a1,b2"} gives {@code "a1"}.
     */
    static String firstHost(String nodeList) {
        String list = nodeList.trim();
        int bracket = list.indexOf('[');
        int comma = list.indexOf(',');
        if (bracket < 0 || (comma >= 0 && comma < bracket)) {
            return comma < 0 ? list : list.substring(0, comma);
        }
        String prefix = list.substring(0, bracket);
        int close = list.indexOf(']', bracket);
        if (close < 0) {
            throw new ConfigException("cannot read Slurm node list '" + nodeList + "': missing ']'");
        }
        String first = list.substring(bracket + 1, close).split(",")[0];
        int dash = first.indexOf('-');
        String suffix = list.substring(close + 1);
        int suffixEnd = suffix.indexOf(',');
        return prefix + (dash < 0 ? first : first.substring(0, dash)) + (suffixEnd < 0 ? suffix : suffix.substring(0, suffixEnd));
    }

    private static int intVar(Map<String, String> env, String name, String fallback) {
        String value = env.getOrDefault(name, fallback);
        if (value == null) {
            throw new ConfigException("environment variable " + name + " is not set; launch with 'twllm train --nproc N',"
                    + " torchrun-style variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or srun");
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("environment variable " + name + "='" + value + "' is not an integer");
        }
    }
}
