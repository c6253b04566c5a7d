package org.twllm.core.config;

import java.nio.file.Path;

/**
 * What the run is called and where it writes.
 *
 * @param name      run name (metrics, logs)
 * @param outputDir absolute directory for checkpoints, metrics.jsonl, the recorded config
 * @param seed      seed of the sample order and of random initialisation
 */
public record RunConfig(String name, Path outputDir, long seed) {
}
