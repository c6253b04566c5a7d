package org.twllm.core.config;

/** Ranks and how they share the work ({@code distributed:}). */
public record DistributedConfig(Values values) implements ConfigSection {
    static final KeyTable<DistributedConfig> KEYS = new KeyTable<>(DistributedConfig::new);

    public static final Key<Integer> WORLD_SIZE = KEYS.key("world_size", ValueTypes.integer(1)).byDefault(1)
            .doc("number of ranks (data-parallel replicas)");
    public static final Key<Integer> ZERO_STAGE = KEYS.key("zero_stage", ValueTypes.intChoice()
                    .option(0, "plain data parallel")
                    .option(1, "sharded optimizer state, full local gradients")
                    .option(2, "sharded optimizer state and gradients")).byDefault(2)
            .doc("0: plain data parallelism (all-reduce); 1: a full local gradient buffer reduce-scattered once per step"
                    + " (for comparison); 2: gradients written into reused buckets and reduce-scattered into each rank's"
                    + " partition on every micro-batch (ZeRO-2)");
    public static final Key<Integer> BUCKET_SIZE_MB = KEYS.key("bucket_size_mb", ValueTypes.integer(1)).byDefault(25)
            .doc("gradient bucket size for the reduce-scatter, MiB");
    public static final Key<TransportConfig> TRANSPORT = KEYS.key("transport", ValueTypes.map(TransportConfig.KEYS))
            .doc("Aeron settings");

    public DistributedConfig {
        KEYS.requireOwn(values);
    }

    public int worldSize() {
        return values.get(WORLD_SIZE);
    }

    public int zeroStage() {
        return values.get(ZERO_STAGE);
    }

    public int bucketSizeMb() {
        return values.get(BUCKET_SIZE_MB);
    }

    public TransportConfig transport() {
        return values.get(TRANSPORT);
    }
}
