package org.twllm.core.config;

/**
 * @param worldSize    number of ranks (data-parallel replicas)
 * @param zeroStage    0 = plain data parallelism, 2 = optimizer state and gradients sharded
 * @param bucketSizeMb gradient bucket size for the reduce-scatter, MiB
 * @param transport    Aeron settings
 */
public record DistributedConfig(int worldSize, int zeroStage, int bucketSizeMb, TransportConfig transport) {
}
