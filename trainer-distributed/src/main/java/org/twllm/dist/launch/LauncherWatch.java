package org.twllm.dist.launch;

import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code --nproc} worker stops when its launcher is gone (killed, or crashed): the launcher holds the
 * run directory's lock for its workers, so a worker outliving it would write into a directory another
 * run may then claim. The launcher names itself in {@link #VARIABLE}; a daemon thread checks once a second.
 */
public final class LauncherWatch {
    /** Environment variable with the launcher's pid, set for each worker. */
    public static final String VARIABLE = "TWLLM_LAUNCHER_PID";
    static final long PERIOD_MS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(LauncherWatch.class);

    private LauncherWatch() {
    }

    /** Starts watching when this process was started by a launcher (the variable is set); else does nothing. */
    public static void startIfLaunched(Map<String, String> env) {
        String pid = env.get(VARIABLE);
        if (pid == null || pid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> launcher = ProcessHandle.of(Long.parseLong(pid.strip()));
        Thread watch = new Thread(() -> {
            while (launcher.map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(PERIOD_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            LOG.error("the launcher of this worker (pid {}) is gone; stopping, as it no longer holds the run directory", pid);
            Runtime.getRuntime().halt(1);
        }, "twllm-launcher-watch");
        watch.setDaemon(true);
        watch.start();
    }
}
