package org.twllm.core.train;

import java.nio.file.Path;

/** A process holding a run directory's lock until it is killed ({@link RunDirectoryLockTest}). Argument: the directory. */
public final class LockHolderChild {
    private LockHolderChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        RunDirectoryLock.acquire(Path.of(args[0]), "lock-holder-child");
        System.out.println("LOCKED");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
