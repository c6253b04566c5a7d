package org.twllm.core.config;

import java.nio.file.Path;

/** What the run is called and where it writes ({@code run:}). */
public record RunConfig(Values values) implements ConfigSection {
    static final KeyTable<RunConfig> KEYS = new KeyTable<>(RunConfig::new);

    public static final Key<String> NAME = KEYS.key("name", ValueTypes.text().nonEmpty()).required().resumeSafe()
            .doc("run name, shown in logs and metrics; not empty");
    /** Absolute after binding. */
    public static final Key<Path> OUTPUT_DIR = KEYS.key("output_dir", ValueTypes.path()).required().resumeSafe()
            .doc("where checkpoints, `metrics.jsonl`, the recorded config and `final/` go");
    public static final Key<Long> SEED = KEYS.key("seed", ValueTypes.longInteger(0)).byDefault(42L)
            .doc("seed of the global sample order and of random initialisation");

    public RunConfig {
        KEYS.requireOwn(values);
    }

    public String name() {
        return values.get(NAME);
    }

    public Path outputDir() {
        return values.get(OUTPUT_DIR);
    }

    public long seed() {
        return values.get(SEED);
    }
}
