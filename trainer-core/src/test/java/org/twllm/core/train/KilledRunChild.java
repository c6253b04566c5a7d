package org.twllm.core.train;

import java.nio.file.Path;
import java.util.List;

import org.twllm.core.config.StageConfigLoader;

/** A training run in a child JVM that {@link ResumeAfterKillTest} kills with SIGKILL partway. Argument: the config file. */
public final class KilledRunChild {
    private KilledRunChild() {
    }

    public static void main(String[] args) {
        Path config = Path.of(args[0]);
        TrainingRun.run(StageConfigLoader.load(config, List.of(), config.getParent()), ResumeRequest.auto(),
                SingleRank::new, System.out::println);
    }
}
