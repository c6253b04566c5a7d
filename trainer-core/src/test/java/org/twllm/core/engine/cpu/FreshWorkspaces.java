package org.twllm.core.engine.cpu;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import org.nd4j.linalg.factory.Nd4j;

/** Runs ND4J work in a fresh thread, so with fresh workspaces: what the workspace-size tests measure. */
final class FreshWorkspaces {
    private FreshWorkspaces() {
    }

    /** {@code work}'s result, computed in a new thread whose workspaces are destroyed afterwards; its failure rethrown. */
    static <T> T measure(Callable<T> work) throws InterruptedException {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                out.set(work.call());
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return out.get();
    }
}
